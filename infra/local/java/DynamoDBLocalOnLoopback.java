import java.io.IOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Amazon DynamoDB Local, listening on 127.0.0.1 only.
 *
 * DynamoDB Local has no host option: its Jetty server is created with
 * {@code new Server(port)}, which listens on every interface, so anyone on the
 * same network could read and change the local OMS's data with no credentials.
 * This launcher builds the server as DynamoDB Local's own main does (same
 * command-line arguments), binds its connector to the loopback address before
 * it starts, then serves until stopped.
 *
 * infra/local/dynamodb-local.ts compiles it once against DynamoDB Local's jars
 * and runs it with them on the class path (by hand, Java's single-file source
 * launcher runs it as it is). One argument of its own, taken out before the
 * rest reach DynamoDB Local: {@code -exitOnStdinClose} ends the process when
 * standard input ends, i.e. when the parent holding the other end of the pipe
 * dies, even by SIGKILL. It is opt-in because with a standard input of
 * /dev/null (nohup, a shell's {@code </dev/null}) the server would stop at once.
 *
 * Telemetry is never configured here, so none is sent whatever the arguments.
 */
public final class DynamoDBLocalOnLoopback {
    private static final String LOOPBACK = "127.0.0.1";
    private static final String EXIT_ON_STDIN_CLOSE = "-exitOnStdinClose";

    public static void main(String[] args) throws Exception {
        List<String> dynamoArgs = new ArrayList<>();
        boolean exitOnStdinClose = false;
        for (String arg : args) {
            if (arg.equals(EXIT_ON_STDIN_CLOSE)) exitOnStdinClose = true;
            else dynamoArgs.add(arg);
        }
        if (exitOnStdinClose) exitWhenStdinCloses();

        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(dynamoArgs.toArray(new String[0]));
        Server jetty = jettyOf(proxy);
        Connector[] connectors = jetty.getConnectors();
        if (connectors.length == 0) fail("DynamoDB Local's Jetty server has no connector to bind to " + LOOPBACK);
        for (Connector connector : connectors) {
            if (!(connector instanceof ServerConnector serverConnector)) {
                fail("Unexpected connector " + connector.getClass().getName() + ": cannot bind it to " + LOOPBACK);
                return;
            }
            serverConnector.setHost(LOOPBACK);
        }

        // start() reports a port already in use on stderr and stops the server instead of throwing.
        proxy.start();
        if (!jetty.isStarted()) fail("DynamoDB Local did not start");
        proxy.join();
    }

    /** The Jetty server is a private field of DynamoDB Local's proxy server, with no accessor. */
    private static Server jettyOf(DynamoDBProxyServer proxy) {
        try {
            Field field = DynamoDBProxyServer.class.getDeclaredField("server");
            field.setAccessible(true);
            return (Server) field.get(proxy);
        } catch (ReflectiveOperationException | ClassCastException error) {
            fail("This DynamoDB Local has no Jetty server field to bind to " + LOOPBACK + " (" + error + ")");
            return null;
        }
    }

    /**
     * A Java child outlives a parent killed hard; the end of the pipe the parent
     * holds is the one signal that reaches it whatever killed the parent.
     */
    private static void exitWhenStdinCloses() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // Whatever the parent writes is ignored; only the end of input matters.
                }
            } catch (IOException error) {
                // A broken pipe means the parent is gone too.
            }
            System.err.println("DynamoDB Local: standard input closed (the parent process is gone), stopping.");
            System.exit(0);
        }, "exit-when-parent-dies");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void fail(String message) {
        System.err.println(message);
        System.exit(1);
    }
}
