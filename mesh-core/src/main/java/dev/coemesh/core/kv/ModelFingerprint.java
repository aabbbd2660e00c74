package dev.coemesh.core.kv;

import java.util.HexFormat;

/**
 * Identifies the exact weights a KV cache was computed with: KV from one model is meaningless to
 * another, so every KV blob and handle carries this and readers reject a mismatch.
 */
public record ModelFingerprint(long value) {
  @Override
  public String toString() {
    return HexFormat.of().toHexDigits(value);
  }
}
