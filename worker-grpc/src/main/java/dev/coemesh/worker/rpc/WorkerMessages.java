package dev.coemesh.worker.rpc;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.kv.KvHandle;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.RequestTimings;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.pool.worker.FallbackReason;
import dev.coemesh.pool.worker.KvHandoff;
import dev.coemesh.worker.v1.Finished;
import dev.coemesh.worker.v1.NoKvReason;
import dev.coemesh.worker.v1.RequestRef;
import dev.coemesh.worker.v1.Sampling;
import dev.coemesh.worker.v1.Timings;
import dev.coemesh.worker.v1.Token;
import dev.coemesh.worker.v1.TokenReply;
import dev.coemesh.worker.v1.TopLogprob;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Wire messages to the mesh's records and back. Reading validates: a bad field is an {@code
 * INVALID_REQUEST} naming it, never an engine failure later.
 */
public final class WorkerMessages {
  private WorkerMessages() {}

  public static RequestId requestId(RequestRef ref) {
    try {
      return new RequestId(ref.getRequestId());
    } catch (IllegalArgumentException e) {
      throw MeshException.invalid("request.request_id", e.getMessage());
    }
  }

  public static TenantId tenant(RequestRef ref) {
    try {
      return new TenantId(ref.getTenant());
    } catch (IllegalArgumentException e) {
      throw MeshException.invalid("request.tenant", e.getMessage());
    }
  }

  /** The prefix-cache scope of a request: its {@code prefix_root}, else its tenant's own. */
  public static long prefixRoot(RequestRef ref, TenantId tenant) {
    return ref.getPrefixRoot() != 0 ? ref.getPrefixRoot() : BlockHashes.root(tenant.value());
  }

  /** A reference in the tenant's own prefix-cache scope. */
  public static RequestRef ref(RequestId id, TenantId tenant) {
    return RequestRef.newBuilder().setRequestId(id.value()).setTenant(tenant.value()).build();
  }

  /**
   * A reference in the prefix-cache scope {@code prefixRoot} (e.g. {@link BlockHashes#ROOT} for a
   * prefix the config shares between tenants).
   */
  public static RequestRef ref(RequestId id, TenantId tenant, long prefixRoot) {
    return ref(id, tenant).toBuilder().setPrefixRoot(prefixRoot).build();
  }

  public static SamplingParams sampling(Sampling s) {
    List<Integer> stopIds = new ArrayList<>(s.getStopTokenIdsList());
    try {
      return new SamplingParams(
          s.getTemperature(),
          s.getTopK(),
          s.hasTopP() ? s.getTopP() : 1.0,
          s.getSeed(),
          s.getMaxTokens(),
          stopIds,
          s.getStopStringsList(),
          s.hasTopLogprobs() ? s.getTopLogprobs() : -1);
    } catch (IllegalArgumentException e) {
      throw MeshException.invalid("sampling", e.getMessage());
    }
  }

  public static Sampling sampling(SamplingParams p) {
    Sampling.Builder b =
        Sampling.newBuilder()
            .setTemperature(p.temperature())
            .setTopK(p.topK())
            .setTopP(p.topP())
            .setSeed(p.seed())
            .setMaxTokens(p.maxTokens())
            .addAllStopTokenIds(p.stopTokenIds())
            .addAllStopStrings(p.stopStrings());
    if (p.wantsLogprobs()) {
      b.setTopLogprobs(p.topLogprobs());
    }
    return b.build();
  }

  /** Token ids checked against the vocabulary; {@code param} names the field in errors. */
  public static int[] tokenIds(List<Integer> ids, int vocabularySize, String param) {
    int[] out = new int[ids.size()];
    for (int i = 0; i < out.length; i++) {
      int id = ids.get(i);
      if (id < 0 || id >= vocabularySize) {
        throw MeshException.invalid(
            param,
            param
                + "["
                + i
                + "] = "
                + Integer.toUnsignedString(id)
                + " is outside the vocabulary of "
                + vocabularySize);
      }
      out[i] = id;
    }
    return out;
  }

  public static List<Integer> list(int[] ids) {
    List<Integer> out = new ArrayList<>(ids.length);
    for (int id : ids) {
      out.add(id);
    }
    return out;
  }

  public static KvHandle handle(dev.coemesh.worker.v1.KvHandle h) {
    try {
      return new KvHandle(
          new ModelFingerprint(h.getModelFingerprint()),
          new TenantId(h.getTenant()),
          new RequestId(h.getRequestId()),
          h.getTokens(),
          h.getChunks(),
          h.getLevel(),
          h.getChecksum());
    } catch (IllegalArgumentException e) {
      throw MeshException.invalid("kv", "bad KV handle: " + e.getMessage());
    }
  }

  public static dev.coemesh.worker.v1.KvHandle handle(KvHandle h) {
    return dev.coemesh.worker.v1.KvHandle.newBuilder()
        .setModelFingerprint(h.model().value())
        .setTenant(h.tenant().value())
        .setRequestId(h.request().value())
        .setTokens(h.tokens())
        .setChunks(h.chunks())
        .setLevel(h.level())
        .setChecksum(h.checksum())
        .build();
  }

  /** Why a prefill reply carries no handle ({@code UNSPECIFIED} when it carries one). */
  public static NoKvReason noKvReason(KvHandoff kv) {
    return switch (kv) {
      case KvHandoff.Stored s -> NoKvReason.NO_KV_REASON_UNSPECIFIED;
      case KvHandoff.Recompute r ->
          switch (r.reason()) {
            case PREDICTED_SLOWER -> NoKvReason.NO_KV_PREDICTED_SLOWER;
            case STORE_UNAVAILABLE, KV_MISSING, KV_CORRUPT -> NoKvReason.NO_KV_STORE_FAILED;
          };
    };
  }

  /**
   * What decode does with a request's KV: fetch it by {@code handle}, or, without one, recompute
   * and count {@code reason} (a sender that gave none is taken as a failed store write).
   */
  public static KvHandoff handoff(dev.coemesh.worker.v1.KvHandle handle, NoKvReason reason) {
    if (handle != null) {
      return new KvHandoff.Stored(handle(handle));
    }
    return new KvHandoff.Recompute(
        reason == NoKvReason.NO_KV_PREDICTED_SLOWER
            ? FallbackReason.PREDICTED_SLOWER
            : FallbackReason.STORE_UNAVAILABLE);
  }

  public static Timings timings(RequestTimings t) {
    return Timings.newBuilder()
        .setQueueMs(t.queueMs())
        .setTtftMs(t.ttftMs())
        .setTpotMs(t.tpotMs())
        .setKvEncodeMs(t.kvEncodeMs())
        .setKvTransferMs(t.kvTransferMs())
        .setKvDecodeMs(t.kvDecodeMs())
        .build();
  }

  public static RequestTimings timings(Timings t) {
    return new RequestTimings(
        t.getQueueMs(),
        t.getTtftMs(),
        t.getTpotMs(),
        t.getKvEncodeMs(),
        t.getKvTransferMs(),
        t.getKvDecodeMs());
  }

  public static Token token(TokenEvent.Token t) {
    Token.Builder b =
        Token.newBuilder()
            .setIndex(t.index())
            .setTokenId(t.tokenId())
            .setText(t.text())
            .setLogprob(t.logprob());
    for (TokenEvent.TopLogprob top : t.topLogprobs()) {
      b.addTopLogprobs(
          TopLogprob.newBuilder()
              .setTokenId(top.tokenId())
              .setText(top.text())
              .setLogprob(top.logprob()));
    }
    return b.build();
  }

  public static TokenEvent.Token token(Token t) {
    List<TokenEvent.TopLogprob> top = new ArrayList<>(t.getTopLogprobsCount());
    for (TopLogprob p : t.getTopLogprobsList()) {
      top.add(new TokenEvent.TopLogprob(p.getTokenId(), p.getText(), p.getLogprob()));
    }
    return new TokenEvent.Token(t.getIndex(), t.getTokenId(), t.getText(), t.getLogprob(), top);
  }

  /** {@code fallback} is the wire name of the text-fallback reason, or empty. */
  public static Finished finished(TokenEvent.Finished f, String fallback) {
    return Finished.newBuilder()
        .setFinishReason(f.reason().wireName())
        .setUsage(
            dev.coemesh.worker.v1.Usage.newBuilder()
                .setPromptTokens(f.usage().promptTokens())
                .setCompletionTokens(f.usage().completionTokens())
                .setCachedPromptTokens(f.usage().cachedPromptTokens()))
        .setTimings(timings(f.timings()))
        .setFallbackReason(fallback)
        .build();
  }

  public static TokenEvent.Finished finished(Finished f) {
    FinishReason reason;
    try {
      reason = FinishReason.valueOf(f.getFinishReason().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new MeshException(
          ErrorCode.INTERNAL, "unknown finish reason '" + f.getFinishReason() + "'");
    }
    dev.coemesh.worker.v1.Usage u = f.getUsage();
    return new TokenEvent.Finished(
        reason,
        new Usage(u.getPromptTokens(), u.getCompletionTokens(), u.getCachedPromptTokens()),
        timings(f.getTimings()));
  }

  public static TokenReply reply(TokenEvent.Token t) {
    return TokenReply.newBuilder().setToken(token(t)).build();
  }

  public static TokenReply reply(TokenEvent.Finished f, String fallback) {
    return TokenReply.newBuilder().setFinished(finished(f, fallback)).build();
  }
}
