/**
 * Go's `sort.Sort` (pattern-defeating quicksort, as in Go 1.19 through 1.23), reproduced
 * step for step so that a range sorted on a field where keys tie comes back in exactly
 * the order etcd gives.
 *
 * Why not a stable sort: etcd sorts range results with `sort.Sort`, which is not stable.
 * Up to 12 elements it is an insertion sort, so ties keep their key order; above that,
 * quicksort partitions move tied keys around in an order that depends only on the input
 * (etcd's results come in key order) and its length. Clients see that order (a `get
 * --sort-by=VALUE` of many keys with equal values, a leader election's `sort by CREATE`
 * among keys of one transaction), so Balsa must produce the same permutation, which only
 * the same sequence of comparisons and swaps does.
 *
 * The facts reproduced (Go's `sort/zsortinterface.go` and `sort/sort.go`): insertion sort
 * at 12 elements or fewer; a budget of bad pivots equal to the bit length of n before
 * heapsort; pivots at n/4, n/2, 3n/4, each the median of its neighbours from 50
 * elements on; a pivot choice that made no swaps is a hint the run is ascending (then a
 * partial insertion sort of at most 5 moves, from 50 elements on, may finish the job),
 * one that made all 12 a hint it is descending (reverse the run); equal-to-predecessor
 * pivots partition into equal and greater; after an unbalanced partition (a side under
 * n/8), three elements around the middle are swapped with positions drawn from an
 * xorshift generator seeded with the run's length (shifts 13, 17, 5: the triple Go used
 * until 1.24 changed it).
 *
 * `less(a, b)` must be a strict weak order. Sorts `items` in place.
 */

/** Runs this short are insertion-sorted. */
const MAX_INSERTION = 12;
/** From this length on, each of the three pivot candidates is the median of its neighbours. */
const SHORTEST_NINTHER = 50;
/** Swaps choosing a pivot can make at most: all of them means the run looked descending. */
const MAX_PIVOT_SWAPS = 4 * 3;
/** A partial insertion sort gives up after this many out-of-order pairs... */
const MAX_PARTIAL_STEPS = 5;
/** ...and does not shift anything in runs shorter than this. */
const SHORTEST_SHIFTING = 50;

type Hint = 'unknown' | 'increasing' | 'decreasing';

export function goSort<T>(items: T[], less: (a: T, b: T) => boolean): void {
  const n = items.length;
  if (n <= 1) return;
  new GoSorter(items, less).pdqsort(0, n, bitLength(n));
}

/** `sort.Sort(sort.Reverse(data))`: the same algorithm with the comparison turned around. */
export function goSortReverse<T>(items: T[], less: (a: T, b: T) => boolean): void {
  goSort(items, (a, b) => less(b, a));
}

class GoSorter<T> {
  constructor(
    private readonly data: T[],
    private readonly lessThan: (a: T, b: T) => boolean,
  ) {}

  private less(i: number, j: number): boolean {
    return this.lessThan(this.data[i]!, this.data[j]!);
  }

  private swap(i: number, j: number): void {
    const t = this.data[i]!;
    this.data[i] = this.data[j]!;
    this.data[j] = t;
  }

  /** Sorts [a, b); `limit` bad pivots allowed before heapsort takes over. */
  pdqsort(a: number, b: number, limit: number): void {
    let wasBalanced = true;
    let wasPartitioned = true;
    for (;;) {
      const length = b - a;
      if (length <= MAX_INSERTION) {
        this.insertionSort(a, b);
        return;
      }
      if (limit === 0) {
        this.heapSort(a, b);
        return;
      }
      if (!wasBalanced) {
        this.breakPatterns(a, b);
        limit--;
      }
      let [pivot, hint] = this.choosePivot(a, b);
      if (hint === 'decreasing') {
        this.reverseRange(a, b);
        // The pivot keeps its element: it is now as far from the end as it was from the start.
        pivot = b - 1 - (pivot - a);
        hint = 'increasing';
      }
      if (wasBalanced && wasPartitioned && hint === 'increasing' && this.partialInsertionSort(a, b)) return;
      // The pivot equals the element before the run (which is ≤ all of it): split off the equal ones.
      if (a > 0 && !this.less(a - 1, pivot)) {
        a = this.partitionEqual(a, b, pivot);
        continue;
      }
      const [mid, alreadyPartitioned] = this.partition(a, b, pivot);
      wasPartitioned = alreadyPartitioned;
      const leftLength = mid - a;
      const rightLength = b - mid;
      const balanceThreshold = Math.trunc(length / 8);
      if (leftLength < rightLength) {
        wasBalanced = leftLength >= balanceThreshold;
        this.pdqsort(a, mid, limit);
        a = mid + 1;
      } else {
        wasBalanced = rightLength >= balanceThreshold;
        this.pdqsort(mid + 1, b, limit);
        b = mid;
      }
    }
  }

  private insertionSort(a: number, b: number): void {
    for (let i = a + 1; i < b; i++) {
      for (let j = i; j > a && this.less(j, j - 1); j--) this.swap(j, j - 1);
    }
  }

  /** Restores the max-heap order below `root` in the heap [lo, hi) stored from `first`. */
  private siftDown(root: number, hi: number, first: number): void {
    for (;;) {
      let child = 2 * root + 1;
      if (child >= hi) return;
      if (child + 1 < hi && this.less(first + child, first + child + 1)) child++;
      if (!this.less(first + root, first + child)) return;
      this.swap(first + root, first + child);
      root = child;
    }
  }

  private heapSort(a: number, b: number): void {
    const size = b - a;
    for (let i = Math.trunc((size - 1) / 2); i >= 0; i--) this.siftDown(i, size, a);
    for (let i = size - 1; i >= 0; i--) {
      this.swap(a, a + i);
      this.siftDown(0, i, a);
    }
  }

  /**
   * Moves [a, b) around the pivot (swapped to `a` first): smaller elements before the
   * returned position, the others after it, the pivot at it. Also says whether nothing
   * had to move.
   */
  private partition(a: number, b: number, pivot: number): [number, boolean] {
    this.swap(a, pivot);
    let i = a + 1;
    let j = b - 1;
    while (i <= j && this.less(i, a)) i++;
    while (i <= j && !this.less(j, a)) j--;
    if (i > j) {
      this.swap(j, a);
      return [j, true];
    }
    this.swap(i, j);
    i++;
    j--;
    for (;;) {
      while (i <= j && this.less(i, a)) i++;
      while (i <= j && !this.less(j, a)) j--;
      if (i > j) break;
      this.swap(i, j);
      i++;
      j--;
    }
    this.swap(j, a);
    return [j, false];
  }

  /** [a, b) holds nothing below the pivot: the elements equal to it first; returns where the greater ones start. */
  private partitionEqual(a: number, b: number, pivot: number): number {
    this.swap(a, pivot);
    let i = a + 1;
    let j = b - 1;
    for (;;) {
      while (i <= j && !this.less(a, i)) i++;
      while (i <= j && this.less(a, j)) j--;
      if (i > j) return i;
      this.swap(i, j);
      i++;
      j--;
    }
  }

  /** Fixes a few out-of-order neighbours; true if [a, b) is sorted when it stops. */
  private partialInsertionSort(a: number, b: number): boolean {
    let i = a + 1;
    for (let step = 0; step < MAX_PARTIAL_STEPS; step++) {
      while (i < b && !this.less(i, i - 1)) i++;
      if (i === b) return true;
      if (b - a < SHORTEST_SHIFTING) return false;
      this.swap(i, i - 1);
      // The smaller one moves left as far as it must, the greater one right. (Go bounds the
      // leftward walk by 1, not by a: reproduced, since it decides the comparisons made.)
      if (i - a >= 2) {
        for (let j = i - 1; j >= 1; j--) {
          if (!this.less(j, j - 1)) break;
          this.swap(j, j - 1);
        }
      }
      if (b - i >= 2) {
        for (let j = i + 1; j < b; j++) {
          if (!this.less(j, j - 1)) break;
          this.swap(j, j - 1);
        }
      }
    }
    return false;
  }

  /** Swaps the three elements around the middle of [a, b) with pseudo-random ones of it. */
  private breakPatterns(a: number, b: number): void {
    const length = b - a;
    if (length < 8) return;
    const random = new XorShift(length);
    const mask = BigInt(nextPowerOfTwo(length) - 1);
    const middle = a + Math.trunc(length / 4) * 2;
    for (let index = middle - 1; index <= middle + 1; index++) {
      let other = Number(random.next() & mask);
      if (other >= length) other -= length;
      this.swap(index, a + other);
    }
  }

  /** The pivot's index, and what choosing it suggests about the run's order. */
  private choosePivot(a: number, b: number): [number, Hint] {
    const length = b - a;
    const quarter = Math.trunc(length / 4);
    const swaps = { count: 0 };
    let i = a + quarter;
    let j = a + quarter * 2;
    let k = a + quarter * 3;
    if (length >= 8) {
      if (length >= SHORTEST_NINTHER) {
        i = this.median(i - 1, i, i + 1, swaps);
        j = this.median(j - 1, j, j + 1, swaps);
        k = this.median(k - 1, k, k + 1, swaps);
      }
      j = this.median(i, j, k, swaps);
    }
    if (swaps.count === 0) return [j, 'increasing'];
    if (swaps.count === MAX_PIVOT_SWAPS) return [j, 'decreasing'];
    return [j, 'unknown'];
  }

  /** The index of the median of three, counting the comparisons that found a pair out of order. */
  private median(a: number, b: number, c: number, swaps: { count: number }): number {
    const [low, high] = this.order2(a, b, swaps);
    const middleOrLow = this.order2(high, c, swaps)[0];
    return this.order2(low, middleOrLow, swaps)[1];
  }

  /** The two indexes, the one of the smaller element first (the first one on a tie). */
  private order2(a: number, b: number, swaps: { count: number }): [number, number] {
    if (this.less(b, a)) {
      swaps.count++;
      return [b, a];
    }
    return [a, b];
  }

  private reverseRange(a: number, b: number): void {
    for (let i = a, j = b - 1; i < j; i++, j--) this.swap(i, j);
  }
}

/** Marsaglia's xorshift on 64 bits, with Go's seed (the run's length) and shifts. */
class XorShift {
  private state: bigint;

  constructor(seed: number) {
    this.state = BigInt(seed);
  }

  next(): bigint {
    let x = this.state;
    x = BigInt.asUintN(64, x ^ (x << 13n));
    x ^= x >> 17n;
    x = BigInt.asUintN(64, x ^ (x << 5n));
    this.state = x;
    return x;
  }
}

/** Bits needed to write `n` (Go's `bits.Len`): 0 for 0. */
function bitLength(n: number): number {
  let bits = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) bits++;
  return bits;
}

/** 2 to the bit length of `n`: the power of two strictly above it. */
function nextPowerOfTwo(n: number): number {
  return 2 ** bitLength(n);
}
