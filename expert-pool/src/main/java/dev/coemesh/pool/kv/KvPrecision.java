package dev.coemesh.pool.kv;

/** How the {@link BlockPool} stores each key and value. */
public enum KvPrecision {
  /** 4 bytes a value: exactly what the forward pass computed. */
  F32(4),
  /**
   * IEEE binary16, 2 bytes a value: half the KV memory and half the bytes that attention streams
   * per position, for values rounded to 11 significant bits (range ±65504).
   */
  F16(2);

  private final int bytes;

  KvPrecision(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes a stored value takes. */
  public int bytes() {
    return bytes;
  }
}
