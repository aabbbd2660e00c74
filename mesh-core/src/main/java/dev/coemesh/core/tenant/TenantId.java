package dev.coemesh.core.tenant;

import java.util.regex.Pattern;

/**
 * A tenant's name. Restricted to a small alphabet because it appears in store keys ({@code
 * kv:{tenant}:...}) and must never be able to forge another tenant's key prefix.
 */
public record TenantId(String value) {
  private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  public TenantId {
    if (value == null || !VALID.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "tenant id must match " + VALID.pattern() + " but was '" + value + "'");
    }
  }

  @Override
  public String toString() {
    return value;
  }
}
