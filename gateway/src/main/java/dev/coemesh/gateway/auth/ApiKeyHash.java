package dev.coemesh.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 of an API key: what the gateway stores and compares instead of the key itself. Keys are
 * long random strings, so an unsalted fast hash is enough to keep them out of config and memory
 * dumps (there is nothing to brute-force as with passwords).
 */
public final class ApiKeyHash {
  private static final HexFormat HEX = HexFormat.of();

  private ApiKeyHash() {}

  public static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
  }

  /** The lower-case hex form used in configuration ({@code key-sha256}). */
  public static String sha256Hex(String key) {
    return HEX.formatHex(sha256(key));
  }

  /** Parses a configured hex digest; throws naming {@code where} when it is not 64 hex digits. */
  public static byte[] parseHex(String hex, String where) {
    if (hex == null || hex.length() != 64) {
      throw new IllegalArgumentException(where + ": key-sha256 must be 64 hex digits");
    }
    try {
      return HEX.parseHex(hex.toLowerCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": key-sha256 must be 64 hex digits", e);
    }
  }
}
