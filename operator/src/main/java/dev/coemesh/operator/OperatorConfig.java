package dev.coemesh.operator;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the operator needs to know about its installation, read once at start from the environment
 * ({@link #fromEnv}); every key has a default matching the prod overlay.
 *
 * @param namespace the namespace whose Experts it reconciles ({@code COEMESH_NAMESPACE}; null for
 *     every namespace its role allows)
 * @param workerImage the worker image ({@code COEMESH_WORKER_IMAGE})
 * @param fetchImage the init container image that downloads https models ({@code
 *     COEMESH_FETCH_IMAGE})
 * @param workerServiceAccount the workers' ServiceAccount ({@code COEMESH_WORKER_SERVICE_ACCOUNT})
 * @param eppService the endpoint picker's Service every InferencePool points at ({@code
 *     COEMESH_EPP_SERVICE})
 * @param eppPort its ext_proc port ({@code COEMESH_EPP_PORT})
 * @param routingBase the routing config whose categories, classifier and pipeline the generated one
 *     keeps ({@code COEMESH_ROUTING_BASE}; absent: the router's shipped default)
 * @param healthPort the port of {@code /healthz} and {@code /readyz} ({@code COEMESH_HEALTH_PORT})
 * @param resync the longest time between two reconciles of an unchanged Expert ({@code
 *     COEMESH_RESYNC_S}, seconds)
 * @param gatewayDeployments the gateway Deployments of the namespace rolled when the expert set
 *     changes ({@code COEMESH_GATEWAY_DEPLOYMENTS}, comma-separated; empty: none)
 * @param prefillPeers the address ranges a decode worker accepts as the prefill worker the endpoint
 *     picker names ({@code COEMESH_PREFILL_PEERS}, the workers' {@code --prefill-peers}; default
 *     the private ranges, {@value #DEFAULT_PREFILL_PEERS}: narrow it to the pod network)
 * @param planner where the planner's decisions are read ({@code COEMESH_PLANNER_URL}, the router
 *     service's base URL, e.g. {@code http://router:8090}; absent: replicas stay at each phase's
 *     minimum)
 * @param plannerPoll how often each Expert is reconciled to pick up a new decision while a planner
 *     is set ({@code COEMESH_PLANNER_POLL_S}, seconds)
 */
public record OperatorConfig(
    String namespace,
    String workerImage,
    String fetchImage,
    String workerServiceAccount,
    String eppService,
    int eppPort,
    Optional<Path> routingBase,
    int healthPort,
    java.time.Duration resync,
    List<String> gatewayDeployments,
    String prefillPeers,
    Optional<java.net.URI> planner,
    java.time.Duration plannerPoll) {

  public static final String DEFAULT_PREFILL_PEERS = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16";
  public static final String DEFAULT_WORKER_IMAGE = "coemesh/worker:0.1.0";
  public static final String DEFAULT_FETCH_IMAGE = "curlimages/curl:8.11.1";

  public OperatorConfig {
    Objects.requireNonNull(workerImage, "workerImage");
    Objects.requireNonNull(fetchImage, "fetchImage");
    Objects.requireNonNull(workerServiceAccount, "workerServiceAccount");
    Objects.requireNonNull(eppService, "eppService");
    Objects.requireNonNull(routingBase, "routingBase");
    Objects.requireNonNull(resync, "resync");
    Objects.requireNonNull(prefillPeers, "prefillPeers");
    Objects.requireNonNull(planner, "planner");
    if (plannerPoll == null || plannerPoll.isNegative() || plannerPoll.isZero()) {
      throw new IllegalArgumentException("COEMESH_PLANNER_POLL_S must be > 0");
    }
    gatewayDeployments = List.copyOf(gatewayDeployments);
    for (String name : gatewayDeployments) {
      if (!name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")) {
        throw new IllegalArgumentException(
            "COEMESH_GATEWAY_DEPLOYMENTS: not a Deployment name: '" + name + "'");
      }
    }
    if (eppPort < 1 || eppPort > 65535 || healthPort < 0 || healthPort > 65535) {
      throw new IllegalArgumentException("ports must be in 1..65535");
    }
  }

  /** This config reconciling every unchanged Expert again after {@code every}. */
  public OperatorConfig withResync(java.time.Duration every) {
    return new OperatorConfig(
        namespace,
        workerImage,
        fetchImage,
        workerServiceAccount,
        eppService,
        eppPort,
        routingBase,
        healthPort,
        every,
        gatewayDeployments,
        prefillPeers,
        planner,
        plannerPoll);
  }

  /** This config reading the planner's decisions at {@code base}, every {@code poll}. */
  public OperatorConfig withPlanner(java.net.URI base, java.time.Duration poll) {
    return new OperatorConfig(
        namespace,
        workerImage,
        fetchImage,
        workerServiceAccount,
        eppService,
        eppPort,
        routingBase,
        healthPort,
        resync,
        gatewayDeployments,
        prefillPeers,
        Optional.of(base),
        poll);
  }

  public static OperatorConfig fromEnv(Map<String, String> env) {
    String routingBase = env.get("COEMESH_ROUTING_BASE");
    return new OperatorConfig(
        blankToNull(env.get("COEMESH_NAMESPACE")),
        env.getOrDefault("COEMESH_WORKER_IMAGE", DEFAULT_WORKER_IMAGE),
        env.getOrDefault("COEMESH_FETCH_IMAGE", DEFAULT_FETCH_IMAGE),
        env.getOrDefault("COEMESH_WORKER_SERVICE_ACCOUNT", "worker"),
        env.getOrDefault("COEMESH_EPP_SERVICE", "router-epp"),
        Integer.parseInt(env.getOrDefault("COEMESH_EPP_PORT", "9002")),
        Optional.ofNullable(blankToNull(routingBase)).map(Path::of),
        Integer.parseInt(env.getOrDefault("COEMESH_HEALTH_PORT", "8081")),
        java.time.Duration.ofSeconds(Long.parseLong(env.getOrDefault("COEMESH_RESYNC_S", "600"))),
        names(env.getOrDefault("COEMESH_GATEWAY_DEPLOYMENTS", "gateway")),
        env.getOrDefault("COEMESH_PREFILL_PEERS", DEFAULT_PREFILL_PEERS),
        Optional.ofNullable(blankToNull(env.get("COEMESH_PLANNER_URL"))).map(java.net.URI::create),
        java.time.Duration.ofSeconds(
            Long.parseLong(env.getOrDefault("COEMESH_PLANNER_POLL_S", "15"))));
  }

  /** {@code a, b} as [a, b]; blank: none. */
  private static List<String> names(String list) {
    return Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
