/* The one "newest by seq" store. Every live update the server pushes carries ``seq``, the number of stored events
   of its stream when it was sent; an answer to a request (a snapshot) carries it too, so pushes and snapshots can
   arrive in any order and the page still ends on the newest state.

   Keyed use (the floor, questions): each key keeps the value of the highest ``seq`` seen; an older update is
   dropped, an update at the same ``seq`` is merged when ``merge`` is set (two views of one change), a removal is
   remembered so an older update cannot bring the item back. These streams count events, so ``seq`` may jump.

   Ordered use (captions): a gap-free log. ``append`` releases entries in ``seq`` order, drops what is already
   held, parks what comes after a gap and calls ``onGap(lastHeld)`` so the page can ask for the missing ones. */

export class SeqStore {
  constructor(options) {
    const opts = options || {};
    this.merge = !!opts.merge;
    this.onGap = opts.onGap || null;
    this.clear();
  }

  /** Forget everything (a new stream, e.g. another caption language). */
  clear() {
    this.values = new Map();  // key -> value (keyed use)
    this.seqs = new Map();    // key -> seq of the value or of its removal
    this.ahead = new Map();   // seq -> entry waiting for a gap to be filled (ordered use)
    this.seq = 0;             // keyed: highest seq seen; ordered: every seq up to here was released
  }

  /** The seq a key was last set or removed at, -1 if never. */
  seqOf(key) {
    return this.seqs.has(key) ? this.seqs.get(key) : -1;
  }

  /** Set a key unless the store holds a newer update of it; true when the value changed. */
  put(key, value, seq) {
    const held = this.seqOf(key);
    if (value === null || value === undefined || seq < held) return false;
    const old = this.values.get(key);
    const same = seq === held && this.merge && old && typeof old === "object" && !Array.isArray(old);
    this.values.set(key, same ? Object.assign({}, old, value) : value);
    this.seqs.set(key, seq);
    this.seq = Math.max(this.seq, seq);
    return true;
  }

  /** Remove a key unless the store holds a newer update of it; true when it was removed. */
  remove(key, seq) {
    if (seq < this.seqOf(key)) return false;
    this.values.delete(key);
    this.seqs.set(key, seq);
    this.seq = Math.max(this.seq, seq);
    return true;
  }

  /** Replace everything with a snapshot taken at ``seq``; updates newer than the snapshot are kept. */
  reset(entries, seq) {
    const values = new Map(), seqs = new Map();
    entries.forEach(function (pair) { values.set(pair[0], pair[1]); seqs.set(pair[0], seq); });
    this.seqs.forEach((held, key) => {
      if (held <= seq) return;
      seqs.set(key, held);
      if (this.values.has(key)) values.set(key, this.values.get(key)); else values.delete(key);
    });
    this.values = values;
    this.seqs = seqs;
    this.seq = Math.max(this.seq, seq);
  }

  get(key) { return this.values.get(key); }

  all() { return Array.from(this.values.values()); }

  /**
   * Ordered use: take entry ``seq`` of a gap-free log. Returns the entries that can now be shown, in order:
   * none for a duplicate or for an entry after a gap (kept until the gap is filled), else it and any parked
   * entries that follow it.
   */
  append(seq, entry) {
    if (seq <= this.seq || this.ahead.has(seq)) return [];
    if (seq > this.seq + 1) {
      this.ahead.set(seq, entry);
      if (this.onGap) this.onGap(this.seq);
      return [];
    }
    const out = [entry];
    this.seq = seq;
    while (this.ahead.has(this.seq + 1)) {
      out.push(this.ahead.get(this.seq + 1));
      this.ahead.delete(this.seq + 1);
      this.seq += 1;
    }
    for (const parked of Array.from(this.ahead.keys())) if (parked <= this.seq) this.ahead.delete(parked);
    return out;
  }
}
