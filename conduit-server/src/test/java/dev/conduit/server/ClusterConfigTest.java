package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code cluster} settings (docs/cluster.md): file section, environment, checks, and no backplane without the module. */
class ClusterConfigTest {

    @Test
    void noClusterByDefault() {
        assertThat(ServerConfig.builder().build().cluster()).isNull();
    }

    @Test
    void theYamlSectionSetsTheCluster(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("conduit.yaml");
        Files.writeString(file, "port: 0\ncluster:\n  redis: redis://10.0.0.5:6379\n  nodeId: eu-1\n"
                + "  advertise: tls://eu-1.example.com:7440\n");
        ClusterConfig c = ServerConfig.load(file).build().cluster();
        assertThat(c).isEqualTo(new ClusterConfig(URI.create("redis://10.0.0.5:6379"), "eu-1",
                "tls://eu-1.example.com:7440"));
    }

    @Test
    void environmentVariablesOverrideTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("conduit.yaml");
        Files.writeString(file, "cluster:\n  redis: redis://10.0.0.5:6379\n  nodeId: eu-1\n");
        ClusterConfig c = ServerConfig.load(file).applyEnvironment(Map.of("CONDUIT_CLUSTER_REDIS",
                "redis://127.0.0.1:6380", "CONDUIT_CLUSTER_NODE_ID", "eu-2")).build().cluster();
        assertThat(c.redis()).isEqualTo(URI.create("redis://127.0.0.1:6380"));
        assertThat(c.nodeId()).isEqualTo("eu-2");
    }

    @Test
    void badValuesFailAtOnceNamingWhereTheyCameFrom(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ServerConfig.builder().set("clusterRedis", "http://x:1", "--cluster"))
                .hasMessageContaining("--cluster").hasMessageContaining("redis://");
        assertThatThrownBy(() -> ServerConfig.builder().set("clusterNodeId", "has space", "env"))
                .hasMessageContaining("nodeId");
        assertThatThrownBy(() -> ServerConfig.builder().set("clusterNodeId", "n1", "env").build())
                .hasMessageContaining("cluster.redis is not");
        Path file = dir.resolve("conduit.yaml");
        Files.writeString(file, "cluster:\n  redis: redis://h:1\n  nodeid: x\n");
        assertThatThrownBy(() -> ServerConfig.load(file)).hasMessageContaining("unknown setting 'cluster.nodeid'");
    }

    @Test
    void aClusterWithoutTheModuleFailsToCreateSayingSo() {
        ServerConfig config = ServerConfig.builder().port(0).httpPort(-1)
                .cluster(ClusterConfig.of("redis://127.0.0.1:1")).build();
        assertThatThrownBy(() -> Server.create(config))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("conduit-cluster");
    }
}
