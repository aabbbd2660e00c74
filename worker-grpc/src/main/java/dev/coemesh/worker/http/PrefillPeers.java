package dev.coemesh.worker.http;

import dev.coemesh.core.error.MeshException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The prefill workers a decode worker may be sent to by {@value OpenAiService#PREFILL_HEADER}: IP
 * literals inside configured CIDR ranges. The decode worker presents its mesh credential to the
 * prefill endpoint, so an endpoint named by whoever reaches the HTTP port must never be an
 * arbitrary host; host names are refused too (no DNS lookup on a client's word).
 */
public final class PrefillPeers {
  /** Loopback only: what a worker allows unless configured ({@code --prefill-peers}). */
  public static final String LOOPBACK = "127.0.0.0/8,::1/128";

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+");

  private final List<Range> ranges;

  private record Range(byte[] network, int bits) {
    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      for (int i = 0; i < bits; i++) {
        int mask = 0x80 >>> (i % 8);
        if ((address[i / 8] & mask) != (network[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  private PrefillPeers(List<Range> ranges) {
    this.ranges = List.copyOf(ranges);
  }

  /**
   * Parses {@code a.b.c.d/n,x:y::/m,...}.
   *
   * @throws IllegalArgumentException for a malformed range
   */
  public static PrefillPeers parse(String cidrs) {
    List<Range> ranges = new ArrayList<>();
    for (String cidr : cidrs.split(",")) {
      String c = cidr.strip();
      if (c.isEmpty()) {
        continue;
      }
      int slash = c.indexOf('/');
      if (slash < 0) {
        throw new IllegalArgumentException("a prefill peer range is ADDRESS/BITS, was '" + c + "'");
      }
      byte[] network = literal(c.substring(0, slash));
      if (network == null) {
        throw new IllegalArgumentException("not an IP address in '" + c + "'");
      }
      int bits = Integer.parseInt(c.substring(slash + 1));
      if (bits < 0 || bits > network.length * 8) {
        throw new IllegalArgumentException("prefix length out of range in '" + c + "'");
      }
      ranges.add(new Range(network, bits));
    }
    return new PrefillPeers(ranges);
  }

  /**
   * The endpoint {@code host:port} ({@code [v6]:port} for IPv6) when allowed, normalised.
   *
   * @throws MeshException {@code INVALID_REQUEST} naming the header otherwise
   */
  public Endpoint check(String endpoint) {
    String header = OpenAiService.PREFILL_HEADER;
    int colon = endpoint.lastIndexOf(':');
    if (colon <= 0) {
      throw MeshException.invalid(header, "'" + header + "' must be host:port");
    }
    String host = endpoint.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(endpoint.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      throw MeshException.invalid(header, "'" + header + "' has no valid port");
    }
    byte[] address = literal(host);
    if (address == null) {
      throw MeshException.invalid(header, "'" + header + "' must name an IP address, not a host");
    }
    for (Range r : ranges) {
      if (r.contains(address)) {
        return new Endpoint(host, port);
      }
    }
    throw MeshException.invalid(
        header, "'" + header + "' names an address outside this worker's prefill peers");
  }

  /** An allowed prefill worker's gRPC address. */
  public record Endpoint(String host, int port) {
    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** The bytes of an IP literal, or null when {@code host} is not one (never resolves a name). */
  private static byte[] literal(String host) {
    boolean v4 = IPV4.matcher(host).matches();
    if (!v4 && !(host.indexOf(':') >= 0 && IPV6.matcher(host).matches())) {
      return null;
    }
    try {
      return InetAddress.getByName(host).getAddress(); // a literal: parsed, not looked up
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
