package dev.coemesh.planner.latency;

/**
 * How long one engine step of one replica takes: what the simulator needs from a latency profile.
 *
 * <p>Implementations are pure functions of their arguments (the simulator calls them in its event
 * loop and relies on the same answer for the same batch) and are thread-safe.
 */
public interface LatencyModel {

  /**
   * Latency in milliseconds of one prefill batch.
   *
   * @param promptLengths the prompt length in tokens of each request in the batch; not empty
   */
  double prefillMs(int[] promptLengths);

  /**
   * Latency in milliseconds of one decode step that emits one token for each running sequence.
   *
   * @param batchSize the number of running sequences, at least 1
   * @param contextTokens the sum of the sequences' context lengths (prompt plus generated tokens)
   */
  double decodeStepMs(int batchSize, long contextTokens);

  /**
   * Latency in milliseconds of one mixed step: the prompts' prefill and one decode token for each
   * of {@code decodeBatch} running sequences in the same forward pass. The default adds the two
   * phases, which counts a step's fixed cost twice; models that know their fixed cost override it.
   *
   * @param promptLengths prompts prefilled in this step; may be empty
   * @param decodeBatch running sequences decoded in this step; may be 0
   * @param decodeContextTokens their context lengths summed
   */
  default double mixedStepMs(int[] promptLengths, int decodeBatch, long decodeContextTokens) {
    double ms = 0;
    if (promptLengths.length > 0) {
      ms += prefillMs(promptLengths);
    }
    if (decodeBatch > 0) {
      ms += decodeStepMs(decodeBatch, decodeContextTokens);
    }
    return ms;
  }
}
