package dev.coemesh.kv.store;

import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.TenantId;
import java.nio.charset.StandardCharsets;

/**
 * Store keys, {@code kv:{tenant}:{request}:{chunk}} and {@code kv:{tenant}:{request}:meta}, and
 * {@code kvtable:{id}} for the codec tables every tenant shares. Built only from validated ids (no
 * ':' possible in either), so one tenant's key can never name another tenant's entry.
 */
final class KvKeys {
  private KvKeys() {}

  static String chunk(TenantId tenant, RequestId request, int index) {
    return "kv:" + tenant.value() + ":" + request.value() + ":" + index;
  }

  static String meta(TenantId tenant, RequestId request) {
    return "kv:" + tenant.value() + ":" + request.value() + ":meta";
  }

  /** A codec table, shared by all tenants (no tenant's key starts with "kvtable:"). */
  static String table(long id) {
    return "kvtable:" + Long.toHexString(id);
  }

  static byte[] bytes(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The metadata record: chunk count and total bytes, as text for easy inspection with redis-cli.
   */
  static byte[] metaRecord(int chunks, long bytes) {
    return ("chunks=" + chunks + ";bytes=" + bytes).getBytes(StandardCharsets.UTF_8);
  }
}
