package dev.coemesh.pool.scheduler;

import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import java.util.function.Consumer;

/**
 * A replica that runs token sequences: the in-process continuous batcher, or (later) a decode
 * service behind gRPC. Same event contract as {@link ExpertBackend#submit}.
 */
public interface SequenceReplica {
  String name();

  ExpertBackend.Generation submit(SequenceRequest request, Consumer<TokenEvent> sink);
}
