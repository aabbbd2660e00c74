package dev.coemesh.operator.expert;

/**
 * An Expert the operator refuses: {@code reason} becomes the InvalidSpec condition's CamelCase
 * reason, the message its sentence.
 */
public final class InvalidSpecException extends Exception {
  private final String reason;

  public InvalidSpecException(String reason, String message) {
    super(message);
    if (!reason.matches("[A-Z][A-Za-z]*")) {
      throw new IllegalArgumentException("a CamelCase reason, got " + reason);
    }
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
