package dev.coemesh.gateway.auth;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Tenant;
import java.security.MessageDigest;
import java.util.List;
import java.util.Objects;

/**
 * Maps a presented API key to its tenant. Only SHA-256 digests of the keys are held. The lookup
 * compares the presented key's digest with every stored digest in constant time and never stops
 * early, so neither the position of a match nor the length of a common prefix shows in the timing.
 *
 * <p>Thread-safe (immutable).
 */
public final class ApiKeyAuthenticator {
  /** The longest key accepted; longer headers are refused before hashing. */
  public static final int MAX_KEY_LENGTH = 512;

  private static final String BEARER = "Bearer ";

  private final List<Entry> entries;

  /** One stored key: its digest and the tenant it authenticates. */
  public record Entry(byte[] sha256, Tenant tenant) {
    public Entry {
      Objects.requireNonNull(tenant, "tenant");
      if (sha256 == null || sha256.length != 32) {
        throw new IllegalArgumentException("a key digest is 32 bytes (SHA-256)");
      }
      sha256 = sha256.clone();
    }
  }

  public ApiKeyAuthenticator(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /**
   * The tenant of an {@code Authorization: Bearer <key>} header value.
   *
   * @throws MeshException {@code UNAUTHENTICATED} when the header is missing, malformed or names no
   *     key
   */
  public Tenant authenticateHeader(String authorization) {
    if (authorization == null || authorization.isBlank()) {
      throw new MeshException(
          ErrorCode.UNAUTHENTICATED,
          "missing API key: send it as 'Authorization: Bearer <key>'",
          null,
          null);
    }
    if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw new MeshException(
          ErrorCode.UNAUTHENTICATED,
          "malformed Authorization header: expected 'Bearer <key>'",
          null,
          null);
    }
    return authenticate(authorization.substring(BEARER.length()).strip());
  }

  /** The tenant of a bare key; throws {@code UNAUTHENTICATED} when no stored key matches. */
  public Tenant authenticate(String key) {
    if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
      throw invalidKey();
    }
    byte[] digest = ApiKeyHash.sha256(key);
    Tenant found = null;
    for (Entry e : entries) {
      // no early exit: every stored digest is compared whatever matched before
      if (MessageDigest.isEqual(e.sha256, digest)) {
        found = e.tenant;
      }
    }
    if (found == null) {
      throw invalidKey();
    }
    return found;
  }

  /** The tenants that have a key, in configuration order, each once. */
  public List<Tenant> tenants() {
    return entries.stream().map(Entry::tenant).distinct().toList();
  }

  public int keys() {
    return entries.size();
  }

  private static MeshException invalidKey() {
    return new MeshException(ErrorCode.UNAUTHENTICATED, "invalid API key", null, null);
  }
}
