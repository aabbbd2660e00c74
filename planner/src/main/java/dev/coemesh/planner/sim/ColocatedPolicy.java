package dev.coemesh.planner.sim;

/** How a colocated replica shares its steps between queued prompts and running decodes. */
public enum ColocatedPolicy {
  /**
   * A step is either a prefill batch or a decode step, and queued prompts go first: vLLM's
   * scheduler as DistServe compared against it. Every prefill stalls every running decode.
   */
  PREFILL_FIRST,
  /**
   * Every step advances each running decode by one token and also prefills queued prompts within
   * the prompt-token budget (Sarathi-Serve's mixed batches, what coemesh's {@code
   * ContinuousBatcher} runs). A prompt longer than the budget still goes whole: prompts are not
   * split into chunks here.
   */
  MIXED
}
