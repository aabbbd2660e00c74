package dev.coemesh.core.spi;

import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;

/**
 * Compresses one chunk of KV cache into a self-describing, versioned blob and back. Level 0 is
 * lossless; higher levels trade size for reconstruction error (see the codec's documentation).
 *
 * <p>Thread-safe. {@link #decode} never hangs, over-allocates or crashes on malformed input: it
 * throws a {@link dev.coemesh.core.error.MeshException} with code {@code KV_CORRUPT}.
 */
public interface KvCodec {

  byte[] encode(KvTensor chunk, int level, ModelFingerprint model);

  /** Decodes a blob, rejecting one made for another model. */
  KvTensor decode(byte[] blob, ModelFingerprint expectedModel);
}
