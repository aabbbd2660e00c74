package dev.coemesh.core.request;

import dev.coemesh.core.error.ErrorCode;
import java.util.List;
import java.util.Objects;

/** What a serving replica streams for one request: tokens, then exactly one terminal event. */
public sealed interface TokenEvent {

  /**
   * One generated token.
   *
   * @param index 0-based position among the generated tokens (used to resume after failover)
   * @param text the text this token adds (may be empty while a UTF-8 sequence is incomplete)
   * @param logprob log-probability of the token, NaN when not requested
   * @param topLogprobs the most likely alternatives, empty when not requested
   */
  record Token(int index, int tokenId, String text, double logprob, List<TopLogprob> topLogprobs)
      implements TokenEvent {
    public Token {
      if (index < 0) {
        throw new IllegalArgumentException("token index must be >= 0");
      }
      Objects.requireNonNull(text, "text");
      topLogprobs = List.copyOf(topLogprobs);
    }
  }

  /**
   * A fragment of a tool call the model makes, streamed as OpenAI's {@code delta.tool_calls[]}: the
   * first fragment of call {@code index} carries its id and function name, later ones append to its
   * JSON arguments. Only upstream experts given {@code tools} produce these.
   *
   * @param id the call's id on its first fragment, else null
   * @param name the function's name on its first fragment, else null
   * @param arguments the next piece of the arguments' JSON text (may be empty)
   */
  record ToolCallDelta(int index, String id, String name, String arguments) implements TokenEvent {
    public ToolCallDelta {
      if (index < 0) {
        throw new IllegalArgumentException("tool call index must be >= 0");
      }
      arguments = arguments == null ? "" : arguments;
    }
  }

  /** One alternative in a logprobs listing. */
  record TopLogprob(int tokenId, String text, double logprob) {}

  /** The sequence ended normally. */
  record Finished(FinishReason reason, Usage usage, RequestTimings timings) implements TokenEvent {
    public Finished {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(usage, "usage");
      Objects.requireNonNull(timings, "timings");
    }
  }

  /** The sequence failed; no further events follow. */
  record Failed(ErrorCode code, String message) implements TokenEvent {
    public Failed {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }
  }
}
