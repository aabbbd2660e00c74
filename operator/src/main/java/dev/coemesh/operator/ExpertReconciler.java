package dev.coemesh.operator;

import dev.coemesh.k8s.expert.Expert;
import dev.coemesh.k8s.expert.ExpertStatus;
import dev.coemesh.k8s.expert.PlannerStatus;
import dev.coemesh.operator.expert.ExpertObjects;
import dev.coemesh.operator.expert.ExpertPlan;
import dev.coemesh.operator.expert.ExpertStatuses;
import dev.coemesh.operator.expert.InvalidSpecException;
import dev.coemesh.operator.expert.Labels;
import dev.coemesh.operator.expert.ObjectApplier;
import dev.coemesh.operator.expert.Role;
import dev.coemesh.operator.gateway.GatewayModels;
import dev.coemesh.operator.gateway.GatewayRoller;
import dev.coemesh.operator.planner.PlannedReplicas;
import dev.coemesh.operator.planner.PlannerDecisions;
import dev.coemesh.operator.routing.RoutingTable;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles each Expert into its worker pools and InferencePool ({@link ExpertObjects}) and the
 * namespace's routing config ({@link RoutingTable}), and reports its status.
 *
 * <p>The whole spec is checked before anything is written: an invalid Expert gets InvalidSpec=True
 * and nothing new. If an earlier version of it was valid, what that version created is kept serving
 * untouched until the spec is fixed or the Expert deleted (a typo must not take an expert down),
 * its routes included: the routing config takes such an Expert with the spec its InferencePool
 * records as served ({@code coemesh.dev/served-spec}).
 *
 * <p>With the routing config go the gateways' model list ({@link GatewayModels}: every served
 * Expert's https files) and, when the expert set changes, a roll of the gateway Deployments ({@link
 * GatewayRoller}): a gateway reloads routes live but starts its experts once.
 *
 * <p>The routing ConfigMap belongs to every Expert it routes to (an owner reference each, none a
 * controller): the garbage collector removes it with the last of them, and the operator deletes it
 * itself when none is left. Each Expert's change re-reconciles the others of its namespace, since a
 * category one gives up may be the one another was refused for.
 *
 * <p>Deletion: the Expert's owner references let the garbage collector remove its objects; the
 * operator's finalizer also deletes them and takes the Expert out of the routing config first, so
 * that the router stops choosing it before its pods go.
 */
public final class ExpertReconciler implements Reconciler<Expert>, Cleaner<Expert> {
  private static final Logger log = LoggerFactory.getLogger(ExpertReconciler.class);
  private static final String MANAGED = Labels.MANAGED_BY + "=" + Labels.OPERATOR;

  private final OperatorConfig config;
  private final ExpertObjects objects;
  private final RoutingTable routing;
  private final GatewayRoller gateways;
  private final PlannerDecisions planner; // null without one
  private final AtomicLong reconciles = new AtomicLong();
  private final Map<String, Object> routingLocks = new java.util.concurrent.ConcurrentHashMap<>();

  public ExpertReconciler(OperatorConfig config) {
    this.config = config;
    this.objects = new ExpertObjects(config);
    this.routing = RoutingTable.load(config.routingBase());
    this.gateways = new GatewayRoller(config.gatewayDeployments());
    this.planner = config.planner().map(PlannerDecisions::new).orElse(null);
  }

  /** How many reconciles ran (tests prove a resync happened without writing). */
  public long reconciles() {
    return reconciles.get();
  }

  @Override
  public List<EventSource<?, Expert>> prepareEventSources(EventSourceContext<Expert> context) {
    var deployments = owned(Deployment.class, context);
    // a deleted or replaced Service or ConfigMap is put back at once, not at the next resync
    var services = owned(Service.class, context);
    var configMaps = owned(ConfigMap.class, context);
    var cache = context.getPrimaryCache();
    var siblings =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Expert.class, Expert.class)
                .withName("sibling-experts")
                .withSecondaryToPrimaryMapper(
                    (Expert changed) ->
                        cache
                            .list(changed.getMetadata().getNamespace())
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .withOnUpdateFilter(
                    (now, before) ->
                        !Objects.equals(
                                now.getMetadata().getGeneration(),
                                before.getMetadata().getGeneration())
                            || !Objects.equals(
                                now.getMetadata().getDeletionTimestamp(),
                                before.getMetadata().getDeletionTimestamp()))
                .build(),
            context);
    return List.of(deployments, services, configMaps, siblings);
  }

  /** The objects of {@code type} this operator made, each mapped to the Experts owning it. */
  private static <R extends HasMetadata> InformerEventSource<R, Expert> owned(
      Class<R> type, EventSourceContext<Expert> context) {
    return new InformerEventSource<>(
        InformerEventSourceConfiguration.from(type, Expert.class)
            .withName("owned-" + type.getSimpleName())
            .withLabelSelector(MANAGED)
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(Expert.class))
            .build(),
        context);
  }

  @Override
  public UpdateControl<Expert> reconcile(Expert expert, Context<Expert> context) {
    reconciles.incrementAndGet();
    KubernetesClient client = context.getClient();
    String namespace = expert.getMetadata().getNamespace();
    List<Expert> live =
        context
            .getPrimaryCache()
            .list(namespace)
            .filter(e -> !RoutingTable.deleting(e))
            .filter(e -> !e.getMetadata().getName().equals(expert.getMetadata().getName()))
            .collect(Collectors.toCollection(ArrayList::new));
    live.add(expert);
    Verdicts verdicts = verdicts(client, live);
    InvalidSpecException refusal = verdicts.refusals().get(expert.getMetadata().getName());

    ObjectApplier applier = new ObjectApplier(client);
    PlannerStatus planned = null;
    if (refusal == null) {
      ExpertPlan plan = verdicts.plan(expert.getMetadata().getName());
      Map<Role, Integer> replicas = Map.of();
      if (planner != null) {
        PlannedReplicas.Applied applied =
            PlannedReplicas.of(
                plan,
                expert.getMetadata().getAnnotations(),
                planner.fetch().get(expert.getMetadata().getName()),
                context.getSecondaryResources(Deployment.class));
        replicas = applied.replicas();
        planned = applied.status();
      }
      for (HasMetadata desired : objects.desired(plan, replicas)) {
        applier.apply(desired);
      }
    } else {
      log.info(
          "Expert {}/{} refused: {}",
          namespace,
          expert.getMetadata().getName(),
          refusal.getMessage());
    }
    writeRouting(client, namespace, verdicts.table());

    var deployments = context.getSecondaryResources(Deployment.class);
    Long generation = expert.getMetadata().getGeneration();
    ExpertStatus status =
        ExpertStatuses.of(generation, refusal, deployments, expert.getStatus())
            .withPlanner(planned);
    if (ExpertStatuses.same(status, expert.getStatus())) {
      return polled(UpdateControl.noUpdate());
    }
    // the cache may not hold this operator's own last status write yet: compare with the API
    // server's copy before writing, or a stale status would be rewritten with a new timestamp
    Expert current = client.resource(expert).get();
    if (current != null) {
      status =
          ExpertStatuses.of(generation, refusal, deployments, current.getStatus())
              .withPlanner(planned);
      if (ExpertStatuses.same(status, current.getStatus())) {
        return polled(UpdateControl.noUpdate());
      }
    }
    Expert patch = new Expert();
    patch.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName(expert.getMetadata().getName())
            .withNamespace(namespace)
            .build());
    patch.setStatus(status);
    return polled(UpdateControl.patchStatus(patch));
  }

  /**
   * With a planner, the next reconcile comes after its poll interval, to pick up a new decision.
   */
  private UpdateControl<Expert> polled(UpdateControl<Expert> control) {
    return planner == null ? control : control.rescheduleAfter(config.plannerPoll());
  }

  @Override
  public DeleteControl cleanup(Expert expert, Context<Expert> context) {
    KubernetesClient client = context.getClient();
    String namespace = expert.getMetadata().getNamespace();
    String name = expert.getMetadata().getName();
    List<Expert> others =
        context
            .getPrimaryCache()
            .list(namespace)
            .filter(e -> !RoutingTable.deleting(e))
            .filter(e -> !e.getMetadata().getName().equals(name))
            .toList();
    // out of the routing config first: the router stops choosing it before its pods go
    writeRouting(client, namespace, verdicts(client, others).table());
    String selector = MANAGED + "," + Labels.EXPERT + "=" + name;
    client.apps().deployments().inNamespace(namespace).withLabelSelector(selector).delete();
    client.services().inNamespace(namespace).withLabelSelector(selector).delete();
    client.configMaps().inNamespace(namespace).withLabelSelector(selector).delete();
    client
        .genericKubernetesResources(ExpertObjects.INFERENCE_POOL)
        .inNamespace(namespace)
        .withLabelSelector(selector)
        .delete();
    log.info("Expert {}/{} deleted with its objects", namespace, name);
    return DeleteControl.defaultDelete();
  }

  /**
   * Each Expert's own checks, then the category claims among those that passed. An Expert whose
   * current spec fails its own checks takes part with the spec its InferencePool still serves, if
   * any: it keeps its routes while its owner fixes the spec.
   */
  private Verdicts verdicts(KubernetesClient client, List<Expert> experts) {
    Map<String, InvalidSpecException> refusals = new LinkedHashMap<>();
    List<ExpertPlan> plans = new ArrayList<>();
    for (Expert e : experts) {
      try {
        plans.add(ExpertPlan.of(e));
      } catch (InvalidSpecException invalid) {
        refusals.put(e.getMetadata().getName(), invalid);
        lastServed(client, e).ifPresent(plans::add);
      }
    }
    RoutingTable.Result table = routing.build(plans);
    table.refused().forEach(refusals::putIfAbsent);
    return new Verdicts(plans, refusals, table);
  }

  private static java.util.Optional<ExpertPlan> lastServed(KubernetesClient client, Expert e) {
    var pool =
        client
            .genericKubernetesResources(ExpertObjects.INFERENCE_POOL)
            .inNamespace(e.getMetadata().getNamespace())
            .withName(e.getMetadata().getName())
            .get();
    return ExpertObjects.servedSpec(pool)
        .flatMap(
            spec -> {
              Expert served = new Expert();
              served.setMetadata(e.getMetadata());
              served.setSpec(spec);
              try {
                return java.util.Optional.of(ExpertPlan.of(served));
              } catch (InvalidSpecException stale) {
                return java.util.Optional.empty();
              }
            });
  }

  private record Verdicts(
      List<ExpertPlan> plans,
      Map<String, InvalidSpecException> refusals,
      RoutingTable.Result table) {
    ExpertPlan plan(String name) {
      return plans.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }
  }

  /**
   * Reconciles of different Experts run in parallel and all write their namespace's routing config,
   * the gateways' model list and the gateways' experts digest: one writer per namespace at a time,
   * so that they do not fail each other's update on its resourceVersion, and the gateways end with
   * the digest of the last set written.
   */
  private void writeRouting(KubernetesClient client, String namespace, RoutingTable.Result table) {
    synchronized (routingLocks.computeIfAbsent(namespace, n -> new Object())) {
      writeRoutingLocked(client, namespace, table);
    }
  }

  private void writeRoutingLocked(
      KubernetesClient client, String namespace, RoutingTable.Result table) {
    if (table.yaml().isEmpty()) {
      client.configMaps().inNamespace(namespace).withName(RoutingTable.CONFIG_MAP).delete();
      client.configMaps().inNamespace(namespace).withName(GatewayModels.CONFIG_MAP).delete();
      client
          .genericKubernetesResources(ExpertObjects.INFERENCE_POOL)
          .inNamespace(namespace)
          .withName(ExpertObjects.MESH_POOL)
          .delete();
      // no gateway is rolled: a new pod would find no routing config to start with
      return;
    }
    List<OwnerReference> owners =
        table.accepted().stream().map(p -> ExpertObjects.owner(p.expert(), false)).toList();
    ObjectApplier applier = new ObjectApplier(client);
    applier.apply(
        shared(namespace, RoutingTable.CONFIG_MAP, owners, RoutingTable.KEY, table.yaml().get()));
    // the list before the roll: the gateways' new pods fetch it
    GatewayModels gateway = GatewayModels.of(table);
    applier.apply(
        shared(
            namespace, GatewayModels.CONFIG_MAP, owners, GatewayModels.KEY, gateway.modelsTxt()));
    gateways.roll(client, namespace, gateway.expertsHash());
    applier.apply(objects.meshPool(namespace, owners));
  }

  /** A ConfigMap of the namespace's Experts together: each owns it, none controls it. */
  private static ConfigMap shared(
      String namespace, String name, List<OwnerReference> owners, String key, String value) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .withLabels(Map.of(Labels.PART_OF, "coemesh", Labels.MANAGED_BY, Labels.OPERATOR))
        .withOwnerReferences(owners)
        .endMetadata()
        .withData(Map.of(key, value))
        .build();
  }
}
