/**
 * A small line chart as an SVG document, written by hand (no dependency): one or more
 * panels side by side, each with a logarithmic x axis (concurrency: 1, 16, 256, ...), a
 * linear y axis from 0 with rounded ticks, one polyline with point markers per series, and
 * a legend. Colours are fixed per series position, so the same system keeps its colour in
 * every panel.
 */

export interface ChartPoint {
  readonly x: number;
  readonly y: number;
}

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
}

export interface ChartPanel {
  readonly title: string;
  readonly series: readonly ChartSeries[];
}

export interface ChartOptions {
  /** The document's heading. */
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** One panel's size in pixels (default 420 × 300). */
  readonly panelWidth?: number;
  readonly panelHeight?: number;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const MARGIN = { top: 56, right: 20, bottom: 58, left: 72 };
const HEADING_HEIGHT = 28;

/** Escape text for an SVG text node or attribute. */
function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A "nice" tick step (1, 2 or 5 × 10^k) that cuts [0, max] into about `count` intervals. */
export function niceStep(max: number, count: number): number {
  if (!(max > 0)) return 1;
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const multiple = [1, 2, 5, 10].find((m) => m * power >= rough)!;
  return multiple * power;
}

/** 1234567 → "1.2M", 12345 → "12k", 12 → "12". */
export function shortNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function trim(value: number): string {
  return Number(value.toFixed(value >= 100 || Number.isInteger(value) ? 0 : 1)).toString();
}

function renderPanel(panel: ChartPanel, options: ChartOptions, width: number, height: number): string {
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const points = panel.series.flatMap((s) => s.points).filter((p) => p.x > 0 && Number.isFinite(p.y));
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  const xMin = Math.log10(xs[0] ?? 1);
  const xMax = Math.log10(xs[xs.length - 1] ?? 10);
  const xSpan = xMax - xMin || 1;
  const step = niceStep(Math.max(0, ...points.map((p) => p.y)), 5);
  const yMax = Math.max(step, Math.ceil(Math.max(0, ...points.map((p) => p.y)) / step) * step);
  const px = (x: number) => MARGIN.left + (xs.length <= 1 ? plotWidth / 2 : ((Math.log10(x) - xMin) / xSpan) * plotWidth);
  const py = (y: number) => MARGIN.top + plotHeight - (y / yMax) * plotHeight;
  const out: string[] = [];
  out.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`);
  for (let y = 0; y <= yMax + step / 2; y += step) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end" font-size="11">${shortNumber(y)}</text>`);
  }
  for (const x of xs) {
    out.push(`<line x1="${px(x).toFixed(1)}" x2="${px(x).toFixed(1)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#eee"/>`);
    out.push(`<text x="${px(x).toFixed(1)}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle" font-size="11">${shortNumber(x)}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${height - 14}" text-anchor="middle" font-size="12">${escapeXml(options.xLabel)}</text>`);
  out.push(
    `<text x="16" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${MARGIN.top + plotHeight / 2})">${escapeXml(options.yLabel)}</text>`,
  );
  panel.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const shown = series.points.filter((p) => p.x > 0 && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (shown.length > 1) {
      const path = shown.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    for (const p of shown) {
      out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${colour}"><title>${escapeXml(`${series.name}: ${shortNumber(p.x)} → ${shortNumber(p.y)}`)}</title></circle>`);
    }
    const legendY = 42;
    const legendX = MARGIN.left + 8 + i * 110;
    out.push(`<line x1="${legendX}" x2="${legendX + 18}" y1="${legendY}" y2="${legendY}" stroke="${colour}" stroke-width="3"/>`);
    out.push(`<text x="${legendX + 24}" y="${legendY + 4}" font-size="12">${escapeXml(series.name)}</text>`);
  });
  return out.join('\n');
}

/** The whole SVG document: a heading over the panels, laid out in one row. */
export function lineChartSvg(panels: readonly ChartPanel[], options: ChartOptions): string {
  const width = options.panelWidth ?? 420;
  const height = options.panelHeight ?? 300;
  const totalWidth = width * Math.max(1, panels.length);
  const totalHeight = height + HEADING_HEIGHT;
  const body = panels.map((panel, i) => `<g transform="translate(${i * width} ${HEADING_HEIGHT})">\n${renderPanel(panel, options, width, height)}\n</g>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${totalWidth}" height="${totalHeight}" viewBox="0 0 ${totalWidth} ${totalHeight}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${totalWidth / 2}" y="20" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
