package dev.coemesh.core.kv;

import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.TenantId;
import java.util.Objects;

/**
 * Where a request's encoded KV cache is and how to check it: what prefill returns and decode needs.
 *
 * @param tokens tokens covered by the KV
 * @param chunks number of chunks stored under {@code kv:{tenant}:{request}:{0..chunks-1}}
 * @param level codec level the chunks were encoded at (0 = lossless)
 * @param checksum CRC32C over the concatenated chunk payloads
 */
public record KvHandle(
    ModelFingerprint model,
    TenantId tenant,
    RequestId request,
    int tokens,
    int chunks,
    int level,
    int checksum) {
  public KvHandle {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(request, "request");
    if (tokens < 0 || chunks < 0 || level < 0) {
      throw new IllegalArgumentException("tokens, chunks and level must be >= 0");
    }
  }
}
