package dev.mcpsandbox.sandbox.backend.bubblewrap;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class HostIdentityTest {
    @Test
    void aBlockForATemplatesChildrenHoldsNoUidLeasedToAnotherSandbox() {
        HostIdentity identity = HostIdentity.of(0, 61000);
        Set<Integer> single = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            single.add(identity.lease());
        }
        HostIdentity.Block block = identity.leaseBlock(64).orElseThrow();
        for (int uid = block.first(); uid < block.first() + 64; uid++) {
            assertThat(single).doesNotContain(uid);
        }
        assertThat(block.first()).isGreaterThanOrEqualTo(61000);
        assertThat(block.first() + 64).isLessThanOrEqualTo(61000 + 4096);
        for (int i = 0; i < 3000; i++) {
            int uid = identity.lease();
            assertThat(uid < block.first() || uid >= block.first() + 64).as("uid %d", uid).isTrue();
        }
    }

    @Test
    void aReleasedBlockCanBeLeasedAgainAndAFullRangeRefusesOne() {
        HostIdentity identity = HostIdentity.of(0, 61000);
        Set<Integer> firsts = new HashSet<>();
        Optional<HostIdentity.Block> block;
        while ((block = identity.leaseBlock(64)).isPresent()) {
            firsts.add(block.get().first());
        }
        assertThat(firsts).hasSize(4096 / 64);
        identity.release(new HostIdentity.Block(61000 + 128, 64));
        assertThat(identity.leaseBlock(64)).contains(new HostIdentity.Block(61000 + 128, 64));
        assertThat(identity.leaseBlock(1)).isEmpty();
    }

    @Test
    void aServerThatIsNotRootHasNoBlockToGive() {
        HostIdentity identity = HostIdentity.of(1000, 61000);
        assertThat(identity.leaseBlock(64)).isEmpty();
        assertThat(identity.lease()).isEqualTo(1000);
    }
}
