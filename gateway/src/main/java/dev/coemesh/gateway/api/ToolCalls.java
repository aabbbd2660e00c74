package dev.coemesh.gateway.api;

import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.pool.openai.ChatCompletion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Joins the streamed fragments of the model's tool calls into whole calls, by index. */
final class ToolCalls {
  private final Map<Integer, Call> calls = new TreeMap<>();

  /** One call being assembled. */
  private static final class Call {
    String id;
    String name;
    final StringBuilder arguments = new StringBuilder();
  }

  void add(TokenEvent.ToolCallDelta fragment) {
    Call call = calls.computeIfAbsent(fragment.index(), i -> new Call());
    if (fragment.id() != null) {
      call.id = fragment.id();
    }
    if (fragment.name() != null) {
      call.name = call.name == null ? fragment.name() : call.name + fragment.name();
    }
    call.arguments.append(fragment.arguments());
  }

  /** The calls in index order; a call the upstream gave no id gets {@code call_<index>}. */
  List<ChatCompletion.ToolCall> whole() {
    List<ChatCompletion.ToolCall> out = new ArrayList<>(calls.size());
    calls.forEach(
        (index, c) ->
            out.add(
                new ChatCompletion.ToolCall(
                    c.id == null ? "call_" + index : c.id,
                    "function",
                    new ChatCompletion.ToolCall.Function(
                        c.name == null ? "" : c.name, c.arguments.toString()))));
    return out;
  }
}
