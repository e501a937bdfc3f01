// SPDX-License-Identifier: Apache-2.0
// The red-black tree under the IOVA allocator (Linux lib/rbtree.c as used by drivers/iommu/iova.c):
// nodes are allocated ranges {pfnLo, pfnHi}, ordered by pfnLo, never overlapping. Stored in
// typed arrays (struct-of-arrays, node 0 is the NIL sentinel) so the allocator's hot path does not
// allocate objects. Classic CLRS insert/erase with a sentinel; the shape differs from Linux's
// rbtree (which avoids a sentinel) but the in-order sequence, hence every allocation decision of
// iova.c, is the same.

import { CoreError } from '../errors';

/** NIL sentinel / "no node" (rb_node NULL). */
export const RB_NIL = 0;

/** Bound on tree nodes (STYLE.md item 16): 16 Mi live ranges ≈ 64 GiB of 4 KiB mappings per domain. */
export const MAX_IOVA_NODES = 1 << 24;

export class IovaRbTree {
  left = new Int32Array(64);
  right = new Int32Array(64);
  parent = new Int32Array(64);
  red = new Uint8Array(64);
  /** First and last PFN of the range of each node (struct iova pfn_lo / pfn_hi). */
  pfnLo = new Float64Array(64);
  pfnHi = new Float64Array(64);
  root = RB_NIL;
  private used = 1; // node 0 is NIL
  private readonly free: number[] = [];
  private live = 0;

  get size(): number {
    return this.live;
  }

  private allocNode(): number {
    const n = this.free.pop();
    if (n !== undefined) return n;
    if (this.used >= this.left.length) this.grow();
    return this.used++;
  }

  private grow(): void {
    const cap = this.left.length * 2;
    if (cap > MAX_IOVA_NODES) {
      throw new CoreError('LIMIT_EXCEEDED', `IOVA tree holds more than ${MAX_IOVA_NODES} ranges`, {
        limit: MAX_IOVA_NODES,
      });
    }
    const gi = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const gf = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.left = gi(this.left);
    this.right = gi(this.right);
    this.parent = gi(this.parent);
    const r = new Uint8Array(cap);
    r.set(this.red);
    this.red = r;
    this.pfnLo = gf(this.pfnLo);
    this.pfnHi = gf(this.pfnHi);
  }

  /** Node whose range contains `pfn` (private_find_iova), or RB_NIL. */
  find(pfn: number): number {
    let n = this.root;
    while (n !== RB_NIL) {
      if (pfn < this.pfnLo[n]!) n = this.left[n]!;
      else if (pfn > this.pfnHi[n]!) n = this.right[n]!;
      else return n;
    }
    return RB_NIL;
  }

  first(): number {
    let n = this.root;
    if (n === RB_NIL) return RB_NIL;
    while (this.left[n] !== RB_NIL) n = this.left[n]!;
    return n;
  }

  last(): number {
    let n = this.root;
    if (n === RB_NIL) return RB_NIL;
    while (this.right[n] !== RB_NIL) n = this.right[n]!;
    return n;
  }

  /** In-order successor (rb_next). */
  next(n: number): number {
    if (this.right[n] !== RB_NIL) {
      n = this.right[n]!;
      while (this.left[n] !== RB_NIL) n = this.left[n]!;
      return n;
    }
    let p = this.parent[n]!;
    while (p !== RB_NIL && n === this.right[p]) {
      n = p;
      p = this.parent[p]!;
    }
    return p;
  }

  /** In-order predecessor (rb_prev). */
  prev(n: number): number {
    if (this.left[n] !== RB_NIL) {
      n = this.left[n]!;
      while (this.right[n] !== RB_NIL) n = this.right[n]!;
      return n;
    }
    let p = this.parent[n]!;
    while (p !== RB_NIL && n === this.left[p]) {
      n = p;
      p = this.parent[p]!;
    }
    return p;
  }

  /** Inserts {pfnLo, pfnHi} (iova_insert_rbtree); the caller guarantees no overlap. Returns the node. */
  insert(pfnLo: number, pfnHi: number): number {
    const z = this.allocNode();
    this.pfnLo[z] = pfnLo;
    this.pfnHi[z] = pfnHi;
    this.left[z] = RB_NIL;
    this.right[z] = RB_NIL;
    this.red[z] = 1;
    let y = RB_NIL;
    let x = this.root;
    while (x !== RB_NIL) {
      y = x;
      if (pfnLo < this.pfnLo[x]!) x = this.left[x]!;
      else if (pfnLo > this.pfnLo[x]!) x = this.right[x]!;
      else throw new CoreError('INVALID_STATE', `IOVA pfn 0x${pfnLo.toString(16)} inserted twice`, { pfnLo });
    }
    this.parent[z] = y;
    if (y === RB_NIL) this.root = z;
    else if (pfnLo < this.pfnLo[y]!) this.left[y] = z;
    else this.right[y] = z;
    this.insertFixup(z);
    this.live++;
    return z;
  }

  /**
   * Rotates node `x` towards side `a` (`b` is the other side): `a === left` is CLRS LEFT-ROTATE,
   * `a === right` RIGHT-ROTATE (__rb_rotate_set_parents in lib/rbtree.c does the same with the
   * mirrored cases written out). One body serves both, as the fix-ups below take the side as arrays.
   */
  private rotate(x: number, a: Int32Array, b: Int32Array): void {
    const { parent } = this;
    const y = b[x]!;
    b[x] = a[y]!;
    if (a[y] !== RB_NIL) parent[a[y]!] = x;
    const px = parent[x]!;
    parent[y] = px;
    if (px === RB_NIL) this.root = y;
    else if (x === a[px]) a[px] = y;
    else b[px] = y;
    a[y] = x;
    parent[x] = y;
  }

  /** RB-INSERT-FIXUP (rb_insert_color): `a` is the side of the parent under the grandparent. */
  private insertFixup(z: number): void {
    const { left, right, parent, red } = this;
    while (red[parent[z]!] === 1) {
      const p = parent[z]!;
      const g = parent[p]!;
      const a = p === left[g] ? left : right;
      const b = a === left ? right : left;
      const u = b[g]!;
      if (red[u] === 1) {
        red[p] = 0;
        red[u] = 0;
        red[g] = 1;
        z = g;
      } else {
        if (z === b[p]) {
          z = p;
          this.rotate(z, a, b);
        }
        red[parent[z]!] = 0;
        red[parent[parent[z]!]!] = 1;
        this.rotate(parent[parent[z]!]!, b, a);
      }
    }
    red[this.root] = 0;
  }

  private transplant(u: number, v: number): void {
    const pu = this.parent[u]!;
    if (pu === RB_NIL) this.root = v;
    else if (u === this.left[pu]) this.left[pu] = v;
    else this.right[pu] = v;
    this.parent[v] = pu;
  }

  /** Removes node `z` (rb_erase); its index may be reused by a later insert. */
  erase(z: number): void {
    const { left, right, parent, red } = this;
    let y = z;
    let yRed = red[y]!;
    let x: number;
    if (left[z] === RB_NIL) {
      x = right[z]!;
      this.transplant(z, x);
    } else if (right[z] === RB_NIL) {
      x = left[z]!;
      this.transplant(z, x);
    } else {
      y = right[z]!;
      while (left[y] !== RB_NIL) y = left[y]!;
      yRed = red[y]!;
      x = right[y]!;
      if (parent[y] === z) parent[x] = y;
      else {
        this.transplant(y, right[y]!);
        right[y] = right[z]!;
        parent[right[y]!] = y;
      }
      this.transplant(z, y);
      left[y] = left[z]!;
      parent[left[y]!] = y;
      red[y] = red[z]!;
    }
    if (yRed === 0) this.eraseFixup(x);
    left[RB_NIL] = RB_NIL;
    right[RB_NIL] = RB_NIL;
    parent[RB_NIL] = RB_NIL;
    red[RB_NIL] = 0;
    this.free.push(z);
    this.live--;
  }

  /** RB-DELETE-FIXUP (rb_erase_color): `a` is the side of `x` under its parent, `w` its sibling. */
  private eraseFixup(x: number): void {
    const { left, right, parent, red } = this;
    while (x !== this.root && red[x] === 0) {
      const p = parent[x]!;
      const a = x === left[p] ? left : right;
      const b = a === left ? right : left;
      let w = b[p]!;
      if (red[w] === 1) {
        red[w] = 0;
        red[p] = 1;
        this.rotate(p, a, b);
        w = b[parent[x]!]!;
      }
      if (red[a[w]!] === 0 && red[b[w]!] === 0) {
        red[w] = 1;
        x = parent[x]!;
      } else {
        if (red[b[w]!] === 0) {
          red[a[w]!] = 0;
          red[w] = 1;
          this.rotate(w, b, a);
          w = b[parent[x]!]!;
        }
        red[w] = red[parent[x]!]!;
        red[parent[x]!] = 0;
        red[b[w]!] = 0;
        this.rotate(parent[x]!, a, b);
        x = this.root;
      }
    }
    red[x] = 0;
  }

  /**
   * Checks the red-black and ordering invariants; returns a description of the first violation
   * or '' (tests and debugging; O(n)).
   */
  validate(): string {
    if (this.red[this.root] === 1) return 'red root';
    let err = '';
    const walk = (n: number, lo: number, hi: number): number => {
      if (n === RB_NIL) return 1;
      if (err) return 0;
      if (this.pfnLo[n]! <= lo || this.pfnLo[n]! >= hi) err = `order violated at node ${n}`;
      if (this.pfnHi[n]! < this.pfnLo[n]!) err = `empty range at node ${n}`;
      const l = this.left[n]!;
      const r = this.right[n]!;
      if (this.red[n] === 1 && (this.red[l] === 1 || this.red[r] === 1)) err = `red-red at node ${n}`;
      if (l !== RB_NIL && this.parent[l] !== n) err = `bad parent link at ${l}`;
      if (r !== RB_NIL && this.parent[r] !== n) err = `bad parent link at ${r}`;
      const bl = walk(l, lo, this.pfnLo[n]!);
      const br = walk(r, this.pfnLo[n]!, hi);
      if (bl !== br) err = `black height differs at node ${n}`;
      return bl + (this.red[n] === 1 ? 0 : 1);
    };
    walk(this.root, -1, Number.POSITIVE_INFINITY);
    return err;
  }
}
