package dev.coemesh.core.request;

import java.util.UUID;
import java.util.regex.Pattern;

/** A request's id; safe to embed in store keys (no separators, bounded length). */
public record RequestId(String value) {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  public RequestId {
    if (value == null || !VALID.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "request id must match " + VALID.pattern() + " but was '" + value + "'");
    }
  }

  public static RequestId random() {
    return new RequestId(UUID.randomUUID().toString().replace("-", ""));
  }

  @Override
  public String toString() {
    return value;
  }
}
