package dev.coemesh.core.expert;

import java.util.regex.Pattern;

/**
 * The name of an expert (a model served by a pool), as clients see it in the {@code model} field.
 */
public record ExpertId(String value) {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}");

  public ExpertId {
    if (value == null || !VALID.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "expert id must match " + VALID.pattern() + " but was '" + value + "'");
    }
  }

  @Override
  public String toString() {
    return value;
  }
}
