package dev.coemesh.worker.http;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.client.WorkerClient;
import dev.coemesh.worker.client.WorkerDirectory;
import dev.coemesh.worker.trace.WorkerTracing;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The replicas an HTTP request on this worker is placed on: this worker itself, reached over its
 * own gRPC port on loopback (so the request takes exactly the path of a gateway's call), and the
 * prefill workers endpoint pickers name, one channel each, kept for reuse. Thread-safe.
 */
public final class LoopbackDirectory implements WorkerDirectory, AutoCloseable {
  /** Channels to distinct prefill workers at most; a pool larger than this is refused. */
  static final int MAX_PREFILL_PEERS = 256;

  private static final String SELF = "self";

  private final WorkerClient self;
  private final MeshCredential credential;
  private final WorkerTracing tracing;
  private final PrefillPeers peers;
  private final Map<String, WorkerClient> prefill = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param host the address this worker's gRPC server is reached at from inside the pod
   * @param grpcPort its gRPC port
   */
  public LoopbackDirectory(
      String host,
      int grpcPort,
      MeshCredential credential,
      WorkerTracing tracing,
      PrefillPeers peers) {
    this.credential = credential;
    this.tracing = tracing;
    this.peers = peers;
    this.self = WorkerClient.connect(host, grpcPort, OpenAiService.DEADLINE, credential, tracing);
  }

  /** The id of this worker in a placement. */
  static ReplicaId self(ExpertId expert, ReplicaRole role) {
    return new ReplicaId(expert, role, SELF);
  }

  WorkerTracing tracing() {
    return tracing;
  }

  /**
   * The prefill replica at {@code endpoint} ({@code host:port}), checked against the allowed peers.
   *
   * @throws MeshException {@code INVALID_REQUEST} for an endpoint that is not allowed
   */
  ReplicaId prefill(ExpertId expert, String endpoint) {
    PrefillPeers.Endpoint allowed = peers.check(endpoint);
    return new ReplicaId(expert, ReplicaRole.PREFILL, allowed.toString());
  }

  @Override
  public WorkerClient client(ReplicaId replica) {
    if (SELF.equals(replica.instance())) {
      return self;
    }
    WorkerClient known = prefill.get(replica.instance());
    if (known != null) {
      return known;
    }
    if (closed || prefill.size() >= MAX_PREFILL_PEERS) {
      throw new MeshException(
          ErrorCode.NO_HEALTHY_REPLICA, "no channel to prefill worker " + replica.instance());
    }
    return prefill.computeIfAbsent(replica.instance(), this::connect);
  }

  private WorkerClient connect(String endpoint) {
    PrefillPeers.Endpoint e = peers.check(endpoint);
    return WorkerClient.connect(e.host(), e.port(), OpenAiService.DEADLINE, credential, tracing);
  }

  @Override
  public void close() {
    closed = true;
    self.close();
    prefill.values().forEach(WorkerClient::close);
  }
}
