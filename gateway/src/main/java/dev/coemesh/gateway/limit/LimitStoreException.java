package dev.coemesh.gateway.limit;

/** The shared limit store did not answer in time, refused the call, or is not connected. */
final class LimitStoreException extends RuntimeException {
  private final boolean mayHaveRun;

  /**
   * @param mayHaveRun whether the store may have run the command though its answer did not arrive
   *     (a timeout, a connection lost mid-call), as opposed to a command never sent
   */
  LimitStoreException(String message, Throwable cause, boolean mayHaveRun) {
    super(message, cause);
    this.mayHaveRun = mayHaveRun;
  }

  boolean mayHaveRun() {
    return mayHaveRun;
  }
}
