package dev.coemesh.worker.process;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.coemesh.core.request.TokenEvent;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A client's view of one stream: tokens in arrival order and the terminal event. */
record Collected(List<TokenEvent.Token> tokens, CompletableFuture<TokenEvent> end)
    implements Consumer<TokenEvent> {
  Collected() {
    this(new CopyOnWriteArrayList<>(), new CompletableFuture<>());
  }

  @Override
  public void accept(TokenEvent e) {
    if (e instanceof TokenEvent.Token t) {
      tokens.add(t);
    } else {
      end.complete(e);
    }
  }

  List<Integer> ids() {
    return tokens.stream().map(TokenEvent.Token::tokenId).toList();
  }

  List<Integer> indices() {
    return tokens.stream().map(TokenEvent.Token::index).toList();
  }

  TokenEvent.Finished finished() throws Exception {
    TokenEvent end = this.end.get(60, TimeUnit.SECONDS);
    return assertInstanceOf(TokenEvent.Finished.class, end, () -> "ended with " + end);
  }
}
