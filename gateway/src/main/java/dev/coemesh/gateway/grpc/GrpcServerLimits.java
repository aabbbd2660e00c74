package dev.coemesh.gateway.grpc;

import io.grpc.netty.NettyServerBuilder;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeUnit;

/**
 * Applies {@link GrpcServerConfig} to the gRPC server (grpc-java's Netty server, which the gateway
 * runs on its own port): message and metadata limits, per-connection call limit, handshake timeout,
 * idle and age limits and keep-alive. Quarkus' own properties cover only some of these.
 */
@Singleton
public class GrpcServerLimits implements ServerBuilderCustomizer<VertxServerBuilder> {
  private final GrpcServerConfig config;

  public GrpcServerLimits(GrpcServerConfig config) {
    this.config = config;
  }

  @Override
  public void customize(GrpcServerConfiguration quarkus, VertxServerBuilder builder) {
    NettyServerBuilder netty = builder.nettyBuilder();
    netty
        .maxInboundMessageSize(config.maxInboundMessageBytes())
        .maxInboundMetadataSize(config.maxInboundMetadataBytes())
        .maxConcurrentCallsPerConnection(config.maxConcurrentCallsPerConnection())
        .handshakeTimeout(config.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .maxConnectionIdle(config.maxConnectionIdle().toMillis(), TimeUnit.MILLISECONDS)
        .maxConnectionAge(config.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
        .maxConnectionAgeGrace(config.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTime(config.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(config.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveTime(config.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS);
  }
}
