package lineage.gremlinserver;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;

import org.apache.tinkerpop.gremlin.jsr223.GremlinScriptEngineManager;
import org.apache.tinkerpop.gremlin.structure.Graph;
import org.apache.tinkerpop.gremlin.server.channel.WebSocketChannelizer;
import org.apache.tinkerpop.gremlin.server.util.ServerGremlinExecutor;
import org.apache.tinkerpop.gremlin.util.Tokens;
import org.apache.tinkerpop.gremlin.util.message.ResponseMessage;

import lineage.gremlinserver.loader.BulkLoader;
import lineage.gremlinserver.loader.LoaderHttpApi;

/**
 * Gremlin over WebSocket, and Neptune's loader API over HTTP, for clients on this machine, with
 * answers that carry no stack traces.
 *
 * A web page the user opens can send requests to any localhost port: plain HTTP requests
 * (a script in {@code GET /gremlin?gremlin=...}) and WebSocket handshakes, which browsers do not
 * restrict by origin. So a request whose {@code Origin} (sent by every browser on cross-origin
 * requests, by no driver or SDK) is not a loopback origin or one listed in the system property
 * {@code lineage.gremlin.allowedOrigins} (comma-separated) is refused with 403. Plain HTTP serves
 * only the loader API ({@code /loader}, {@code /system}, {@code /status}: see
 * {@link LoaderHttpApi}), and only to a {@code Host} that is a loopback name, so a page on a DNS
 * name rebound to 127.0.0.1 cannot start loads or reset the graph; every other HTTP request that
 * is not a WebSocket handshake on {@code /gremlin} is refused. Gremlin Server puts the Java stack
 * trace of a failed request into the answer's status attributes; they are removed before the
 * answer is encoded.
 */
public class LoopbackWebSocketChannelizer extends WebSocketChannelizer {
    public static final String ALLOWED_ORIGINS_PROPERTY = "lineage.gremlin.allowedOrigins";
    private static final String GREMLIN_PATH = "/gremlin";

    private LoaderHttpApi loaderApi;

    @Override
    public void init(final ServerGremlinExecutor serverGremlinExecutor) {
        super.init(serverGremlinExecutor);
        final Graph graph = serverGremlinExecutor.getGraphManager().getGraph(NeptuneLikeGraphManager.GRAPH_NAME);
        loaderApi = graph == null ? null : new LoaderHttpApi(new BulkLoader(graph));
        // Scripts that name no language ask for gremlin-groovy. Without the HTTP channelizer the
        // engine manager was seen to resolve that name to Groovy's own factory (and gremlin-lang
        // to TinkerPop's, which takes bindings) rather than to ours listed first on the class
        // path; naming the associations removes the doubt.
        final GremlinScriptEngineManager manager = serverGremlinExecutor.getGremlinExecutor().getScriptEngineManager();
        final GrammarOnlyScriptEngineFactory groovyName = new GrammarOnlyScriptEngineFactory();
        groovyName.setCustomizerManager(manager);
        manager.registerEngineName("gremlin-groovy", groovyName);
        final GrammarOnlyScriptEngineFactory langName = new GrammarOnlyScriptEngineFactory.GremlinLang();
        langName.setCustomizerManager(manager);
        manager.registerEngineName("gremlin-lang", langName);
        forgetCachedEngines(manager, "gremlin-groovy", "gremlin-lang");
    }

    /** The manager caches engines it made at start-up (TinkerPop's gremlin-lang); drop them. */
    private static void forgetCachedEngines(final GremlinScriptEngineManager manager, final String... names) {
        for (Class<?> type = manager.getClass(); type != null; type = type.getSuperclass()) {
            try {
                final java.lang.reflect.Field field = type.getDeclaredField("cache");
                field.setAccessible(true);
                final Map<?, ?> cache = (Map<?, ?>) field.get(manager);
                for (final String name : names) {
                    cache.remove(name);
                }
                return;
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot reset the script engine cache: " + e, e);
            }
        }
    }

    @Override
    public void configure(final ChannelPipeline pipeline) {
        super.configure(pipeline);
        // Right after the aggregator, so it sees every whole HTTP request first: Netty's
        // WebSocket handler answers handshakes from a handler it places before itself.
        pipeline.addAfter("http-aggregator", "lineage-http-guard", new HttpGuard(configuredOrigins(), loaderApi));
        // Outbound messages travel towards the head: added after the frame encoder, this sees
        // the ResponseMessage before it is serialized.
        pipeline.addAfter("response-frame-encoder", "lineage-hide-stack-traces", new StackTraceRemover());
    }

    private static Set<String> configuredOrigins() {
        final String raw = System.getProperty(ALLOWED_ORIGINS_PROPERTY, "");
        return Arrays.stream(raw.split(","))
                .map(String::trim)
                .filter(origin -> !origin.isEmpty())
                .map(origin -> origin.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    }

    /** True for http(s) origins on localhost, 127.0.0.0/8 or [::1]. */
    static boolean isLoopbackOrigin(final String origin) {
        final URI uri;
        try {
            uri = new URI(origin);
        } catch (URISyntaxException e) {
            return false;
        }
        final String scheme = uri.getScheme();
        final String host = uri.getHost();
        if (scheme == null || host == null || uri.getRawPath() != null && !uri.getRawPath().isEmpty()) {
            return false;
        }
        if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
            return false;
        }
        final String name = host.toLowerCase(Locale.ROOT);
        return name.equals("localhost") || name.equals("[::1]")
                || name.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    @ChannelHandler.Sharable
    static final class HttpGuard extends ChannelInboundHandlerAdapter {
        private final Set<String> allowedOrigins;
        private final LoaderHttpApi loaderApi;

        HttpGuard(final Set<String> allowedOrigins, final LoaderHttpApi loaderApi) {
            this.allowedOrigins = allowedOrigins;
            this.loaderApi = loaderApi;
        }

        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg) {
            if (!(msg instanceof FullHttpRequest)) {
                ctx.fireChannelRead(msg);  // WebSocket frames after the handshake
                return;
            }
            final FullHttpRequest request = (FullHttpRequest) msg;
            final String origin = request.headers().get(HttpHeaderNames.ORIGIN);
            final String refusal;
            final HttpResponseStatus status;
            if (origin != null && !isLoopbackOrigin(origin)
                    && !allowedOrigins.contains(origin.toLowerCase(Locale.ROOT))) {
                status = HttpResponseStatus.FORBIDDEN;
                refusal = "origin " + origin + " is not allowed: this server answers only pages served "
                        + "from localhost (or origins given with --allow-origin)\n";
            } else if (loaderApi != null && LoaderHttpApi.serves(path(request)) && !isWebSocketHandshake(request)) {
                if (!isLoopbackHost(request.headers().get(HttpHeaderNames.HOST))) {
                    // A page on a rebound DNS name reaches this port with its own Host: refused.
                    status = HttpResponseStatus.FORBIDDEN;
                    refusal = "Host " + request.headers().get(HttpHeaderNames.HOST) + " is not allowed: the loader "
                            + "API answers requests to localhost, 127.0.0.1 or [::1] only\n";
                } else {
                    final boolean keepAlive = HttpUtil.isKeepAlive(request);
                    final FullHttpResponse answer;
                    try {
                        answer = loaderApi.answer(request);
                    } finally {
                        ReferenceCountUtil.release(request);
                    }
                    if (keepAlive) {
                        answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                        ctx.writeAndFlush(answer);
                    } else {
                        answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                        ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
                    }
                    return;
                }
            } else if (!isWebSocketHandshake(request)) {
                status = HttpResponseStatus.BAD_REQUEST;
                refusal = "this server speaks Gremlin over WebSocket only (ws://HOST:PORT" + GREMLIN_PATH
                        + "); scripts over HTTP are refused (HTTP serves only Neptune's /loader, /system and "
                        + "/status)\n";
            } else {
                ctx.fireChannelRead(msg);
                return;
            }
            ReferenceCountUtil.release(request);
            final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(refusal, StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        private static String path(final FullHttpRequest request) {
            return request.uri().split("\\?", 2)[0];
        }

        /** True for a Host header naming localhost, 127.0.0.0/8 or [::1] (with any port). */
        static boolean isLoopbackHost(final String host) {
            if (host == null) {
                return false;
            }
            return isLoopbackOrigin("http://" + host);
        }

        private static boolean isWebSocketHandshake(final FullHttpRequest request) {
            final String path = path(request);
            final String upgrade = request.headers().get(HttpHeaderNames.UPGRADE);
            return HttpMethod.GET.equals(request.method()) && GREMLIN_PATH.equals(path)
                    && upgrade != null && upgrade.equalsIgnoreCase("websocket");
        }
    }

    @ChannelHandler.Sharable
    static final class StackTraceRemover extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(final ChannelHandlerContext ctx, final Object msg, final ChannelPromise promise) {
            if (msg instanceof ResponseMessage) {
                ResponseMessage answer = (ResponseMessage) msg;
                try {
                    answer = withoutStackTrace(answer);
                } catch (RuntimeException e) {
                    // Never lose an answer: a client waiting for it would hang.
                }
                ctx.write(answer, promise);
            } else {
                ctx.write(msg, promise);
            }
        }

        private static ResponseMessage withoutStackTrace(final ResponseMessage message) {
            final Map<String, Object> attributes = message.getStatus().getAttributes();
            if (attributes == null || !(attributes.containsKey(Tokens.STATUS_ATTRIBUTE_STACK_TRACE)
                    || attributes.containsKey(Tokens.STATUS_ATTRIBUTE_EXCEPTIONS))) {
                return message;
            }
            final Map<String, Object> kept = new HashMap<>(attributes);
            kept.remove(Tokens.STATUS_ATTRIBUTE_STACK_TRACE);
            kept.remove(Tokens.STATUS_ATTRIBUTE_EXCEPTIONS);
            final Map<String, Object> meta = message.getResult().getMeta();
            return ResponseMessage.build(message.getRequestId())
                    .code(message.getStatus().getCode())
                    .statusMessage(message.getStatus().getMessage())
                    .statusAttributes(kept)
                    .result(message.getResult().getData())
                    .responseMetaData(meta == null ? new HashMap<>() : meta)
                    .create();
        }
    }
}
