package dev.coemesh.testkit;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * A seeded, bounded fuzz run of a parser of untrusted bytes. The seed comes from {@code
 * -Dmesh.fuzz.seed} when set, else a fresh one; the number of cases from {@code -Dmesh.fuzz.cases},
 * else the test's default. Each case must end within its time bound either accepted or with the
 * parser's typed rejection, and a rejection may allocate no more than {@link
 * #REJECTION_BYTES_PER_INPUT_BYTE} heap bytes per input byte (plus {@link #REJECTION_SLACK_BYTES}):
 * more means the parser allocated from a length field it had not checked against its input. Every
 * failure message starts {@code seed=S case=I:}, so {@code -Dmesh.fuzz.seed=S} replays the run. Not
 * thread-safe; one run per test method.
 */
public final class FuzzRun {
  public static final String SEED_PROPERTY = "mesh.fuzz.seed";
  public static final String CASES_PROPERTY = "mesh.fuzz.cases";
  public static final long REJECTION_BYTES_PER_INPUT_BYTE = 64;
  public static final long REJECTION_SLACK_BYTES = 4L << 20;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private final String name;
  private final long seed;
  private final int cases;
  private final Duration caseBound;
  private final Predicate<Throwable> rejection;
  private int accepted;
  private int rejected;

  private FuzzRun(
      String name, long seed, int cases, Duration caseBound, Predicate<Throwable> rejection) {
    this.name = name;
    this.seed = seed;
    this.cases = cases;
    this.caseBound = caseBound;
    this.rejection = rejection;
  }

  /**
   * @param rejection which exceptions are the parser's typed rejection of malformed input
   */
  public static FuzzRun start(
      String name, int defaultCases, Duration caseBound, Predicate<Throwable> rejection) {
    String configured = System.getProperty(SEED_PROPERTY);
    long seed =
        configured == null || configured.isBlank()
            ? new SplittableRandom().nextLong()
            : Long.parseLong(configured.trim());
    return new FuzzRun(
        name, seed, Integer.getInteger(CASES_PROPERTY, defaultCases), caseBound, rejection);
  }

  public long seed() {
    return seed;
  }

  public int cases() {
    return cases;
  }

  /** The random source of case {@code index}: a function of the seed and the index alone. */
  public SplittableRandom random(int index) {
    return new SplittableRandom(seed + 0x9E3779B97F4A7C15L * (index + 1L));
  }

  /** The prefix of every message about case {@code index}. */
  public String at(int index) {
    return "seed=" + seed + " case=" + index;
  }

  /**
   * Runs case {@code index} on an input of {@code inputBytes} bytes: its result when accepted,
   * {@code null} when rejected as the run expects; any other outcome fails the test.
   */
  public <T> T check(int index, long inputBytes, String input, Callable<T> parse) {
    record Outcome<T>(T result, Throwable thrown, long allocated) {}
    Outcome<T> outcome =
        assertTimeoutPreemptively(
            caseBound,
            () -> {
              long before = THREADS.getCurrentThreadAllocatedBytes();
              try {
                T result = parse.call();
                return new Outcome<>(
                    result, null, THREADS.getCurrentThreadAllocatedBytes() - before);
              } catch (Throwable t) { // OutOfMemoryError and StackOverflowError are defects too
                return new Outcome<T>(null, t, THREADS.getCurrentThreadAllocatedBytes() - before);
              }
            },
            () -> at(index) + ": " + input + " did not finish within " + caseBound);
    if (outcome.thrown == null) {
      accepted++;
      return outcome.result;
    }
    if (!rejection.test(outcome.thrown)) {
      fail(at(index) + ": " + input + " failed with an untyped " + outcome.thrown, outcome.thrown);
    }
    long allowed = REJECTION_BYTES_PER_INPUT_BYTE * inputBytes + REJECTION_SLACK_BYTES;
    assertTrue(
        outcome.allocated <= allowed,
        () ->
            at(index)
                + ": rejecting "
                + input
                + " ("
                + inputBytes
                + " bytes) allocated "
                + outcome.allocated
                + " bytes, more than "
                + allowed
                + " ("
                + outcome.thrown.getMessage()
                + ")");
    rejected++;
    return null;
  }

  public int accepted() {
    return accepted;
  }

  public int rejected() {
    return rejected;
  }

  /**
   * Prints the run's one-line summary and asserts that it both accepted and rejected something (a
   * run that rejects everything never reached the parser's depths).
   */
  public void finish() {
    System.out.println(
        name
            + ": cases="
            + (accepted + rejected)
            + " accepted="
            + accepted
            + " rejected="
            + rejected
            + " seed="
            + seed);
    assertTrue(accepted > 0, () -> "seed=" + seed + ": " + name + " accepted no case");
    assertTrue(rejected > 0, () -> "seed=" + seed + ": " + name + " rejected no case");
  }
}
