package dev.coemesh.worker.auth;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Presents the mesh credential on a call: the client side of {@link MeshCredentialInterceptor}. A
 * channel built with {@link #interceptor} presents it on every call, so no stub can forget it.
 */
public final class MeshCallCredentials extends CallCredentials {
  private final MeshCredential credential;

  public MeshCallCredentials(MeshCredential credential) {
    this.credential = Objects.requireNonNull(credential, "credential");
  }

  /**
   * For a channel builder's {@code intercept}: every call on the channel presents the credential.
   */
  public static ClientInterceptor interceptor(MeshCredential credential) {
    MeshCallCredentials credentials = new MeshCallCredentials(credential);
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return next.newCall(method, options.withCallCredentials(credentials));
      }
    };
  }

  @Override
  public void applyRequestMetadata(
      RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    Metadata headers = new Metadata();
    headers.put(MeshCredentialInterceptor.AUTHORIZATION, credential.authorization());
    applier.apply(headers);
  }
}
