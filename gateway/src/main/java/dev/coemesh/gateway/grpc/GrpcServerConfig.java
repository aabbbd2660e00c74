package dev.coemesh.gateway.grpc;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Connection hygiene of the gateway's gRPC server ({@code mesh.grpc.*}), applied by {@link
 * GrpcServerLimits}. The defaults let a generation run to the request timeout (5 min) on a
 * connection that is retiring, and bound what an idle or hostile client can hold.
 */
@ConfigMapping(prefix = "mesh.grpc")
public interface GrpcServerConfig {

  /** Largest request message; larger ones end the call with RESOURCE_EXHAUSTED. */
  @WithDefault("1114112")
  int maxInboundMessageBytes();

  /** Largest request metadata (headers). */
  @WithDefault("16384")
  int maxInboundMetadataBytes();

  /** Calls one connection may run at once (HTTP/2 streams). */
  @WithDefault("128")
  int maxConcurrentCallsPerConnection();

  /** Time a new connection has to complete its HTTP/2 handshake (a half-open one is closed). */
  @WithDefault("10s")
  Duration handshakeTimeout();

  /** A connection without calls for this long is closed (GOAWAY). */
  @WithDefault("5m")
  Duration maxConnectionIdle();

  /** A connection is retired after this long, so clients rebalance over gateway replicas. */
  @WithDefault("30m")
  Duration maxConnectionAge();

  /** How long a retiring connection's calls may still run. */
  @WithDefault("5m")
  Duration maxConnectionAgeGrace();

  /** The server pings a connection that was quiet this long, to find dead peers. */
  @WithDefault("1m")
  Duration keepAliveTime();

  /** A ping unanswered for this long closes the connection. */
  @WithDefault("20s")
  Duration keepAliveTimeout();

  /** Clients pinging more often than this are sent GOAWAY (ping floods). */
  @WithDefault("10s")
  Duration permitKeepAliveTime();
}
