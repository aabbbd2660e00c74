package dev.coemesh.worker.auth;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * The mesh credential: the shared secret that lets a service call the workers. Only the gateway
 * (and the mesh's own tooling) holds it, which is what lets a worker trust the tenant and cache
 * scope a request names. In Kubernetes it is a Secret mounted as a file; elsewhere the environment
 * variable {@value #ENV}.
 *
 * <p>The token never appears in {@link #toString}, exceptions or logs; it leaves this object only
 * as an {@code authorization} header value ({@link #authorization}) and into a child process's
 * environment ({@link #exportTo}).
 */
public final class MeshCredential {
  /** Environment variable holding the token when no credential file is configured. */
  public static final String ENV = "MESH_WORKER_TOKEN";

  /** Shortest token accepted: 128 bits as hex ({@code openssl rand -hex 16}). */
  public static final int MIN_LENGTH = 32;

  private static final String SCHEME = "Bearer ";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String token;
  private final byte[] digest; // SHA-256 of the token: compared in constant time

  private MeshCredential(String token) {
    this.token = token;
    this.digest = sha256(token);
  }

  /**
   * A credential from its token: printable ASCII without spaces (an HTTP/2 header value), at least
   * {@value #MIN_LENGTH} characters.
   *
   * @throws MeshException {@code CONFIG_INVALID} naming {@code source} (never the token)
   */
  public static MeshCredential of(String token, String source) {
    if (token == null || token.isEmpty()) {
      throw invalid("the mesh credential in " + source + " is empty");
    }
    if (token.length() < MIN_LENGTH) {
      throw invalid(
          "the mesh credential in "
              + source
              + " is too short: "
              + token.length()
              + " characters, at least "
              + MIN_LENGTH
              + " required");
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x21 || c > 0x7E) {
        throw invalid(
            "the mesh credential in "
                + source
                + " has a character outside printable ASCII at position "
                + i);
      }
    }
    return new MeshCredential(token);
  }

  /** The credential in {@code file} (surrounding whitespace, e.g. a trailing newline, ignored). */
  public static MeshCredential fromFile(Path file) {
    String content;
    try {
      content = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID,
          "cannot read the mesh credential file " + file + ": " + e.getClass().getSimpleName(),
          e);
    }
    return of(content.strip(), "file " + file);
  }

  /**
   * The credential a service starts with: from {@code file} when one is configured, else from
   * {@value #ENV} in {@code environment}.
   *
   * @param file the configured credential file, or null for none
   * @throws MeshException {@code CONFIG_INVALID} when neither is set, or the one set is unusable
   */
  public static MeshCredential load(Path file, Map<String, String> environment) {
    if (file != null) {
      return fromFile(file);
    }
    String token = environment.get(ENV);
    if (token == null) {
      throw invalid(
          "no mesh credential: configure a credential file or set " + ENV + " (see the docs)");
    }
    return of(token.strip(), "environment variable " + ENV);
  }

  /** {@link #load} from this process's environment. */
  public static MeshCredential load(Path file) {
    return load(file, System.getenv());
  }

  /** A fresh random credential (256 bits), for a parent that starts its own workers. */
  public static MeshCredential random() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return new MeshCredential(HexFormat.of().formatHex(bytes));
  }

  /** The {@code authorization} header value that presents this credential. */
  public String authorization() {
    return SCHEME + token;
  }

  /**
   * Whether an {@code authorization} header value presents this credential. Constant time in the
   * presented value: both sides are compared as SHA-256 digests, so neither the token's content nor
   * its length leaks through timing.
   */
  public boolean matches(String authorization) {
    if (authorization == null
        || authorization.length() < SCHEME.length()
        || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      return false;
    }
    return MessageDigest.isEqual(digest, sha256(authorization.substring(SCHEME.length())));
  }

  /**
   * Puts the token into a child process's environment (a {@code ProcessBuilder}'s), as {@value
   * #ENV}.
   */
  public void exportTo(Map<String, String> environment) {
    environment.put(ENV, token);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MeshCredential other && MessageDigest.isEqual(digest, other.digest);
  }

  @Override
  public int hashCode() {
    return 0; // no bits of the secret in hash tables
  }

  @Override
  public String toString() {
    return "MeshCredential[redacted]";
  }

  private static MeshException invalid(String message) {
    return new MeshException(ErrorCode.CONFIG_INVALID, message);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
