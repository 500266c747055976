/**
 * The hand-written SVG chart: a log-scale x axis (equal steps for equal ratios), a y axis
 * from 0 to a rounded top, one line and one marker per point for each series, escaped
 * text, and a well-formed document.
 */
import { lineChartSvg, niceStep, shortNumber } from '../../../bench/support/svg-chart.js';

/** Each `<tag …/>` or `<tag …>` opening of `name` and its attributes. */
function elements(svg: string, name: string): Record<string, string>[] {
  return [...svg.matchAll(new RegExp(`<${name}\\s([^>]*?)/?>`, 'g'))].map((match) =>
    Object.fromEntries([...match[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((attribute) => [attribute[1]!, attribute[2]!])),
  );
}

describe('lineChartSvg', () => {
  const svg = lineChartSvg(
    [
      {
        title: 'put',
        series: [
          { name: 'Balsa', points: [{ x: 1, y: 100 }, { x: 16, y: 800 }, { x: 256, y: 1200 }] },
          { name: 'etcd <3.4>', points: [{ x: 256, y: 1900 }, { x: 1, y: 200 }, { x: 16, y: 1000 }] },
        ],
      },
      { title: 'get', series: [{ name: 'Balsa', points: [{ x: 1, y: 5 }] }] },
    ],
    { title: 'KV & co', xLabel: 'concurrency', yLabel: 'ops/s' },
  );

  it('is one svg document with a panel per workload, side by side', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="840" height="328"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(elements(svg, 'g').map((g) => g.transform)).toEqual(['translate(0 28)', 'translate(420 28)']);
    // Every element opened is closed.
    for (const tag of ['svg', 'g', 'text', 'circle', 'title']) {
      expect((svg.match(new RegExp(`<${tag}[\\s>]`, 'g')) ?? []).length).toBe((svg.match(new RegExp(`</${tag}>`, 'g')) ?? []).length);
    }
  });

  it('draws a line per series of two points or more and a marker per point', () => {
    const lines = elements(svg, 'polyline');
    expect(lines.map((line) => line.stroke)).toEqual(['#1f77b4', '#d62728']);
    expect(elements(svg, 'circle')).toHaveLength(7);
  });

  it('puts the x axis on a log scale and the y axis from 0 to a rounded top', () => {
    const balsa = elements(svg, 'polyline')[0]!.points!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
    const etcd = elements(svg, 'polyline')[1]!.points!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
    // 1 → 16 and 16 → 256 are the same ratio: the same distance; points are drawn in x order.
    expect(balsa[1]![0] - balsa[0]![0]).toBeCloseTo(balsa[2]![0] - balsa[1]![0], 5);
    expect(etcd.map((p) => p[0])).toEqual(balsa.map((p) => p[0]));
    // The top is 2000 (steps of 500): 1900 sits near it, 100 near the bottom, 0 at the bottom.
    const yOf = (value: number) => (svg.match(new RegExp(`<text x="\\d+" y="([\\d.]+)" text-anchor="end" font-size="11">${value}</text>`)) ?? [])[1];
    expect(yOf(0)).toBeDefined();
    expect(svg).toContain('>2k</text>');
    expect(svg).not.toContain('>2.5k</text>');
    expect(etcd[2]![1]).toBeLessThan(balsa[2]![1]);
  });

  it('escapes text', () => {
    expect(svg).toContain('KV &amp; co');
    expect(svg).toContain('etcd &lt;3.4&gt;');
    expect(svg).not.toContain('etcd <3.4>');
  });
});

describe('niceStep and shortNumber', () => {
  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(1900, 5)).toBe(500);
    expect(niceStep(1_000_000, 5)).toBe(200_000);
    expect(niceStep(7, 5)).toBe(2);
    expect(niceStep(0, 5)).toBe(1);
  });

  it('writes large numbers short', () => {
    expect(shortNumber(1_250_000)).toBe('1.3M');
    expect(shortNumber(1500)).toBe('1.5k');
    expect(shortNumber(256)).toBe('256');
    expect(shortNumber(0.5)).toBe('0.5');
  });
});
