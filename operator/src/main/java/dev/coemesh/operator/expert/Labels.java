package dev.coemesh.operator.expert;

import java.util.LinkedHashMap;
import java.util.Map;

/** The labels and annotations the operator puts on what it creates. */
public final class Labels {
  private Labels() {}

  public static final String NAME = "app.kubernetes.io/name";
  public static final String COMPONENT = "app.kubernetes.io/component";
  public static final String PART_OF = "app.kubernetes.io/part-of";
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String OPERATOR = "coemesh-operator";
  public static final String EXPERT = "coemesh.dev/expert";
  public static final String ROLE = "coemesh.dev/role";

  /**
   * On the pods that answer the OpenAI API (colocated and decode workers): what the mesh-wide
   * InferencePool selects.
   */
  public static final String OPENAI = "coemesh.dev/openai";

  /** Selects the pods the model-download egress NetworkPolicy lets out on 443. */
  public static final String DOWNLOADS_MODELS = "coemesh.dev/downloads-models";

  /**
   * On an Expert, {@code paused} stops the operator applying the planner's decisions to it: its
   * Deployments keep the replicas they have, whoever set them.
   */
  public static final String PLANNER = "coemesh.dev/planner";

  public static final String PLANNER_PAUSED = "paused";

  /** Replica bounds the SLO planner scales between (the Deployment starts at min). */
  public static final String REPLICAS_MIN = "coemesh.dev/replicas-min";

  public static final String REPLICAS_MAX = "coemesh.dev/replicas-max";
  public static final String SLO_TTFT = "coemesh.dev/slo-ttft";
  public static final String SLO_TPOT = "coemesh.dev/slo-tpot";

  /**
   * A digest of what the operator last wrote: an object is rewritten only when the desired one
   * differs, so a reconcile that changes nothing writes nothing (an API server adds defaults, so
   * comparing the objects themselves would always differ).
   */
  public static final String DESIRED_HASH = "coemesh.dev/desired-hash";

  /** On a pod template: the worker settings' digest, so that a settings change rolls the pods. */
  public static final String SETTINGS_HASH = "coemesh.dev/settings-hash";

  /** On an InferencePool: the Expert spec it serves (JSON), the last one that was valid. */
  public static final String SERVED_SPEC = "coemesh.dev/served-spec";

  /** Marks the Expert that takes unclassified requests ({@code "true"}). */
  public static final String FALLBACK = "coemesh.dev/fallback";

  /** What every object of one Expert carries; its pools add their role. */
  public static Map<String, String> ofExpert(String expert) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(PART_OF, "coemesh");
    labels.put(MANAGED_BY, OPERATOR);
    labels.put(EXPERT, expert);
    return labels;
  }

  /** A pool's pod selector: the worker pods of one expert and role. */
  public static Map<String, String> selector(String expert, Role role) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NAME, "worker");
    labels.put(EXPERT, expert);
    labels.put(ROLE, role.value());
    return labels;
  }
}
