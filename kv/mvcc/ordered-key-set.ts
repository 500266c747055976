/**
 * A set of key strings in ascending order: a B+tree, so that adding or removing one of n
 * keys costs O(log n) (a sorted array costs O(n) per insertion, quadratic over a million
 * new keys), and a range scan starts at its lower bound in O(log n) and then walks keys
 * in order.
 *
 * Leaves hold the keys; a branch holds its children and, between each two, a separator:
 * the smallest key of the subtree on its right (every key in `children[i]` is below
 * `separators[i]`, every key in `children[i + 1]` is at or above it). All leaves are at
 * the same depth. A node that falls below `KEY_SET_NODE_MINIMUM` entries merges with a
 * sibling when both fit in one node; a root branch with one child gives way to it.
 *
 * Comparison is JavaScript's string order, which for `KeyString`s (one char per byte) is
 * etcd's bytewise key order.
 */
import { KEY_SET_NODE_CAPACITY, KEY_SET_NODE_MINIMUM } from './constants.js';
import type { KeyString } from './key-bytes.js';

interface Leaf {
  readonly leaf: true;
  keys: KeyString[];
}

interface Branch {
  readonly leaf: false;
  /** `separators.length === children.length - 1`. */
  separators: KeyString[];
  children: TreeNode[];
}

type TreeNode = Leaf | Branch;

/** A step of a root-to-leaf path: the branch, and which of its children the path takes. */
interface PathStep {
  readonly branch: Branch;
  readonly child: number;
}

export class OrderedKeySet {
  private root: TreeNode = { leaf: true, keys: [] };
  private count = 0;

  /** The number of keys. O(1). */
  get size(): number {
    return this.count;
  }

  has(key: KeyString): boolean {
    const { leaf } = this.descend(key);
    const at = lowerBound(leaf.keys, key);
    return leaf.keys[at] === key;
  }

  /** Adds `key`; false if it was already there. O(log n). */
  add(key: KeyString): boolean {
    const { leaf, path } = this.descend(key);
    const at = lowerBound(leaf.keys, key);
    if (leaf.keys[at] === key) return false;
    leaf.keys.splice(at, 0, key);
    this.count++;
    if (leaf.keys.length > KEY_SET_NODE_CAPACITY) this.split(leaf, path);
    return true;
  }

  /** Removes `key`; false if it was not there. O(log n). */
  delete(key: KeyString): boolean {
    const { leaf, path } = this.descend(key);
    const at = lowerBound(leaf.keys, key);
    if (leaf.keys[at] !== key) return false;
    leaf.keys.splice(at, 1);
    this.count--;
    this.rebalance(leaf, path);
    return true;
  }

  /**
   * The keys at or above `lower` (every key, if undefined), ascending. The set must not
   * change while the iteration runs.
   */
  *from(lower?: KeyString): IterableIterator<KeyString> {
    const stack: { node: Branch; child: number }[] = [];
    let node = this.root;
    while (!node.leaf) {
      const child = lower === undefined ? 0 : childFor(node, lower);
      stack.push({ node, child });
      node = node.children[child]!;
    }
    let at = lower === undefined ? 0 : lowerBound(node.keys, lower);
    for (;;) {
      for (; at < node.keys.length; at++) yield node.keys[at]!;
      // The next leaf: up to the nearest branch with a child further right, then leftmost down.
      let top = stack.at(-1);
      while (top !== undefined && top.child + 1 >= top.node.children.length) {
        stack.pop();
        top = stack.at(-1);
      }
      if (top === undefined) return;
      top.child++;
      node = top.node.children[top.child]!;
      while (!node.leaf) {
        stack.push({ node, child: 0 });
        node = node.children[0]!;
      }
      at = 0;
    }
  }

  [Symbol.iterator](): IterableIterator<KeyString> {
    return this.from();
  }

  private descend(key: KeyString): { leaf: Leaf; path: PathStep[] } {
    const path: PathStep[] = [];
    let node = this.root;
    while (!node.leaf) {
      const child = childFor(node, key);
      path.push({ branch: node, child });
      node = node.children[child]!;
    }
    return { leaf: node, path };
  }

  /** Splits an overfull node in two, and its parent in turn if that overfills. */
  private split(node: TreeNode, path: PathStep[]): void {
    let right: TreeNode;
    let separator: KeyString;
    if (node.leaf) {
      const keys = node.keys.splice(node.keys.length >>> 1);
      separator = keys[0]!;
      right = { leaf: true, keys };
    } else {
      const middle = node.separators.length >>> 1;
      separator = node.separators[middle]!;
      right = { leaf: false, separators: node.separators.splice(middle + 1), children: node.children.splice(middle + 1) };
      node.separators.pop();
    }
    const parentStep = path.pop();
    if (parentStep === undefined) {
      this.root = { leaf: false, separators: [separator], children: [node, right] };
      return;
    }
    const parent = parentStep.branch;
    parent.separators.splice(parentStep.child, 0, separator);
    parent.children.splice(parentStep.child + 1, 0, right);
    if (parent.children.length > KEY_SET_NODE_CAPACITY) this.split(parent, path);
  }

  /** After a removal from `node`: merges it into a sibling if it got small, upwards. */
  private rebalance(node: TreeNode, path: PathStep[]): void {
    const parentStep = path.pop();
    if (parentStep === undefined) {
      if (!node.leaf && node.children.length === 1) this.root = node.children[0]!;
      return;
    }
    if (entries(node) >= KEY_SET_NODE_MINIMUM) return;
    const parent = parentStep.branch;
    // Merge the pair (left, left + 1) that contains `node`, if it fits in one node.
    const left = parentStep.child > 0 ? parentStep.child - 1 : 0;
    if (left + 1 >= parent.children.length) return; // an only child (only while the root shrinks)
    const a = parent.children[left]!;
    const b = parent.children[left + 1]!;
    if (entries(a) + entries(b) > KEY_SET_NODE_CAPACITY) return;
    if (a.leaf && b.leaf) {
      a.keys.push(...b.keys);
    } else if (!a.leaf && !b.leaf) {
      a.separators.push(parent.separators[left]!, ...b.separators);
      a.children.push(...b.children);
    }
    parent.separators.splice(left, 1);
    parent.children.splice(left + 1, 1);
    this.rebalance(parent, path);
  }
}

function entries(node: TreeNode): number {
  return node.leaf ? node.keys.length : node.children.length;
}

/** The child of `branch` whose subtree holds `key` (or would): the number of separators ≤ key. */
function childFor(branch: Branch, key: KeyString): number {
  const separators = branch.separators;
  let low = 0;
  let high = separators.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (separators[middle]! <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first position in sorted `keys` whose key is ≥ `key`. */
function lowerBound(keys: readonly KeyString[], key: KeyString): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! < key) low = middle + 1;
    else high = middle;
  }
  return low;
}
