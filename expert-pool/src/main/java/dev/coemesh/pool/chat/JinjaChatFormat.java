package dev.coemesh.pool.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.CollectionTooBigException;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.OutputTooBigException;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.Node;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's own chat template ({@code tokenizer.chat_template} of a GGUF file, the Hugging Face
 * {@code chat_template}): Jinja source rendered with Jinjava the way Hugging Face's {@code
 * apply_chat_template} and llama.cpp render it.
 *
 * <p>What a template sees: {@code messages} (maps of {@code role}, {@code content}, and {@code
 * name} where the turn has one), {@code add_generation_prompt}, {@code bos_token}, {@code
 * eos_token}, the functions {@code raise_exception(message)} and {@code strftime_now(format)}; no
 * {@code tools}. Blocks are trimmed as Hugging Face configures Jinja ({@code trim_blocks}, {@code
 * lstrip_blocks}, one trailing newline of the source dropped), Python's string methods and {@code
 * tojson} have Python's meaning ({@link PythonStringMethods}, {@link PythonJsonFilter}), and a
 * {@code for} may filter its items ({@link FilteredForTag}).
 *
 * <p>The rendering is the template's text as is: a leading BOS stays (the tokenizers read it as the
 * BOS token and then add no second one), and so does a trailing EOS.
 *
 * <p><b>System turns.</b> Some templates have no system role (Gemma raises on one, Mistral v0.2
 * leaves it out). As llama.cpp does, each such template is probed once at compile time, and for one
 * without a system role the system turns are folded into the user turn that follows them ({@code
 * system + "\n" + user}), so a request with a system prompt still renders.
 *
 * <p>Compiled once per model; {@link #render} is thread-safe and bounded by {@link RenderLimits}.
 */
public final class JinjaChatFormat implements ChatFormat {
  private static final String SYSTEM_PROBE = "<System Needle>";
  private static final String USER_PROBE = "<User Needle>";

  private final Jinjava jinjava;
  private final JinjavaConfig config;
  private final Node root;
  private final String bosToken;
  private final String eosToken;
  private final RenderLimits limits;
  private final Clock clock;
  private final boolean systemRole;

  /**
   * Jinjava's global context (its filters, functions, tags), detached from the engine: the parent
   * of each rendering's own context. A context reports every name it resolves to its parent, so a
   * parent shared by renderings in flight would take concurrent writes; each rendering borrows one
   * of these instead, and clears it ({@code reset}) when it returns it. A fresh copy costs ~0.5 ms
   * (it registers every built-in again), more than the rendering itself.
   */
  private final BlockingQueue<Context> idleContexts = new ArrayBlockingQueue<>(64);

  private JinjaChatFormat(
      Jinjava jinjava,
      JinjavaConfig config,
      Node root,
      String bosToken,
      String eosToken,
      RenderLimits limits,
      Clock clock) {
    this.jinjava = jinjava;
    this.config = config;
    this.root = root;
    this.bosToken = bosToken;
    this.eosToken = eosToken;
    this.limits = limits;
    this.clock = clock;
    this.systemRole = probeSystemRole();
  }

  /**
   * Compiles {@code template} with the default limits and the system clock.
   *
   * @param bosToken the text of the model's BOS token ({@code ""} if it has none)
   * @param eosToken the text of the model's EOS token ({@code ""} if it has none)
   * @throws MeshException {@link ErrorCode#MODEL_FILE_INVALID} when the template does not parse or
   *     cannot render a one-message conversation
   */
  public static JinjaChatFormat compile(String template, String bosToken, String eosToken) {
    return compile(template, bosToken, eosToken, RenderLimits.DEFAULT, Clock.systemDefaultZone());
  }

  /** As {@link #compile(String, String, String)}, with explicit limits and {@code strftime_now}. */
  public static JinjaChatFormat compile(
      String template, String bosToken, String eosToken, RenderLimits limits, Clock clock) {
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(bosToken, "bosToken");
    Objects.requireNonNull(eosToken, "eosToken");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(clock, "clock");
    JinjavaConfig config = config(limits);
    Jinjava jinjava = new Jinjava(config);
    jinjava.registerFunction(
        new ELFunctionDefinition(
            "", "raise_exception", TemplateFunctions.class, "raiseException", Object.class));
    jinjava.registerFunction(
        new ELFunctionDefinition(
            "", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
    jinjava.registerFilter(new PythonJsonFilter());
    jinjava.registerTag(new FilteredForTag());

    JinjavaInterpreter parser = jinjava.newInterpreter();
    Node root = parser.parse(withoutTrailingNewline(template));
    for (TemplateError e : parser.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new MeshException(
            ErrorCode.MODEL_FILE_INVALID, "chat template does not parse: " + describe(e));
      }
    }
    JinjaChatFormat format =
        new JinjaChatFormat(jinjava, config, root, bosToken, eosToken, limits, clock);
    switch (format.attempt(List.of(new ChatTurn("user", USER_PROBE)), true)) {
      case Outcome.Rendered r -> {}
      case Outcome.Refused r -> {} // a template may refuse a lone user turn; it still works
      case Outcome.OverLimit o ->
          throw new MeshException(
              ErrorCode.MODEL_FILE_INVALID,
              "chat template exceeds its render limits on a one-message conversation: " + o.what());
      case Outcome.Broken b ->
          throw new MeshException(
              ErrorCode.MODEL_FILE_INVALID,
              "chat template fails on a one-message conversation: " + b.what());
    }
    return format;
  }

  /**
   * Jinjava's switches towards Python Jinja2's behaviour, which chat templates are written for:
   * whitespace control ({@code {{-}}, {@code -}}}) on expressions as on tags, dict keys evaluated,
   * iteration over a dict's keys, None kept in loops, and Python's spelling when a value is
   * printed. Jinjava's "natural operator precedence" stays off: with it, {@code not x is defined}
   * parses as {@code (not x) is defined}, where Jinja2 reads {@code not (x is defined)}.
   */
  private static final LegacyOverrides PYTHON_JINJA =
      LegacyOverrides.newBuilder()
          .withUseTrimmingForNotesAndExpressions(true)
          .withParseWhitespaceControlStrictly(true)
          .withEvaluateMapKeys(true)
          .withIterateOverMapKeys(true)
          .withKeepNullableLoopValues(true)
          .withUsePyishObjectMapper(true)
          .build();

  private static JinjavaConfig config(RenderLimits limits) {
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PythonStringMethods());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    return JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(true)
        .withLegacyOverrides(PYTHON_JINJA)
        .withElResolver(resolver)
        .withMaxOutputSize(limits.maxOutputSize())
        .withMaxStringLength(limits.maxOutputSize())
        .withMaxListSize(limits.maxCollectionSize())
        .withMaxMapSize(limits.maxCollectionSize())
        .withNodePreProcessor((node, interpreter) -> RenderBudget.current().chargeNode())
        .build();
  }

  /** Jinja's {@code keep_trailing_newline=False}, which Hugging Face keeps: one newline goes. */
  private static String withoutTrailingNewline(String template) {
    if (template.endsWith("\r\n")) {
      return template.substring(0, template.length() - 2);
    }
    return template.endsWith("\n") ? template.substring(0, template.length() - 1) : template;
  }

  @Override
  public String render(List<ChatTurn> turns, boolean addGenerationPrompt) {
    List<ChatTurn> seen = systemRole ? turns : SystemTurns.foldIntoUserTurns(turns);
    return switch (attempt(seen, addGenerationPrompt)) {
      case Outcome.Rendered r -> r.text();
      case Outcome.Refused r -> throw MeshException.invalid("messages", r.message());
      case Outcome.OverLimit o ->
          throw new MeshException(
              ErrorCode.MODEL_FILE_INVALID,
              "the model's chat template exceeded its render limits: " + o.what());
      case Outcome.Broken b ->
          throw new MeshException(
              ErrorCode.MODEL_FILE_INVALID, "the model's chat template failed: " + b.what());
    };
  }

  @Override
  public String name() {
    return "jinja template";
  }

  /** Whether the template renders system turns itself (else they are folded into user turns). */
  public boolean supportsSystemRole() {
    return systemRole;
  }

  public String bosToken() {
    return bosToken;
  }

  public String eosToken() {
    return eosToken;
  }

  public RenderLimits limits() {
    return limits;
  }

  /** How one rendering ended. */
  private sealed interface Outcome {
    record Rendered(String text) implements Outcome {}

    /** The template called {@code raise_exception}: it refuses this conversation. */
    record Refused(String message) implements Outcome {}

    record OverLimit(String what) implements Outcome {}

    /** Any other template error: the template itself is at fault. */
    record Broken(String what) implements Outcome {}
  }

  private boolean probeSystemRole() {
    List<ChatTurn> probe =
        List.of(new ChatTurn("system", SYSTEM_PROBE), new ChatTurn("user", USER_PROBE));
    return attempt(probe, false) instanceof Outcome.Rendered r && r.text().contains(SYSTEM_PROBE);
  }

  private Outcome attempt(List<ChatTurn> turns, boolean addGenerationPrompt) {
    Map<String, Object> bindings = new HashMap<>();
    bindings.put("messages", messages(turns));
    bindings.put("add_generation_prompt", addGenerationPrompt);
    bindings.put("bos_token", bosToken);
    bindings.put("eos_token", eosToken);
    // functions are variables in Jinja: templates test "strftime_now is defined" before calling it
    bindings.put("strftime_now", true);
    bindings.put("raise_exception", true);
    Context base = idleContexts.poll();
    if (base == null) {
      base = jinjava.getGlobalContextCopy();
    }
    JinjavaInterpreter interpreter =
        new JinjavaInterpreter(jinjava, new Context(base, bindings, config.getDisabled()), config);
    RenderBudget budget = new RenderBudget(limits, clock);
    RenderBudget outer = RenderBudget.CURRENT.get();
    RenderBudget.CURRENT.set(budget);
    String text = null;
    RuntimeException thrown = null;
    try (var current = JinjavaInterpreter.closeablePushCurrent(interpreter).get()) {
      text = interpreter.render(root);
    } catch (RuntimeException e) {
      thrown = e;
    } finally {
      RenderBudget.CURRENT.set(outer);
      base.reset();
      idleContexts.offer(base); // dropped when enough are idle
    }
    if (budget.raised() != null) {
      return new Outcome.Refused(budget.raised());
    }
    if (budget.exceeded() != null) {
      return new Outcome.OverLimit(budget.exceeded());
    }
    for (TemplateError e : interpreter.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
        return overLimit(e) ? new Outcome.OverLimit(describe(e)) : new Outcome.Broken(describe(e));
      }
    }
    if (thrown != null) {
      return overLimit(thrown)
          ? new Outcome.OverLimit(String.valueOf(thrown.getMessage()))
          : new Outcome.Broken(String.valueOf(thrown.getMessage()));
    }
    return new Outcome.Rendered(text);
  }

  private static boolean overLimit(TemplateError e) {
    return switch (e.getReason()) {
      case OUTPUT_TOO_BIG, OVER_LIMIT, COLLECTION_TOO_BIG -> true;
      default -> e.getException() != null && overLimit(e.getException());
    };
  }

  private static boolean overLimit(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof OutputTooBigException || c instanceof CollectionTooBigException) {
        return true;
      }
    }
    return false;
  }

  private static String describe(TemplateError e) {
    return e.getMessage() + (e.getLineno() > 0 ? " (line " + e.getLineno() + ")" : "");
  }

  /** The turns as the template's {@code messages}: {@code name} only where the turn has one. */
  private static List<Map<String, Object>> messages(List<ChatTurn> turns) {
    List<Map<String, Object>> out = new ArrayList<>(turns.size());
    for (ChatTurn t : turns) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("role", t.role());
      m.put("content", t.content());
      if (t.name() != null) {
        m.put("name", t.name());
      }
      out.add(m);
    }
    return out;
  }
}
