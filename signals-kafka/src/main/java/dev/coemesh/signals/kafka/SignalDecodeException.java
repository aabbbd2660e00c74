package dev.coemesh.signals.kafka;

/**
 * A record that is not a signal this build understands: malformed JSON, an unknown type, a newer
 * schema version or a field that breaks the record's invariants. Consumers skip and count it.
 */
public final class SignalDecodeException extends Exception {
  public SignalDecodeException(String message) {
    super(message);
  }

  public SignalDecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
