package dev.mcpsandbox.sandbox.backend.bubblewrap.fork;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class ChildUidsTest {
    @Test
    void liveChildrenNeverShareAUidAndAFullBlockRefusesTheNext() {
        ChildUids uids = ChildUids.block(70000, 1, 3, () -> { });
        List<ChildUids.ChildUid> leased = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            leased.add(uids.lease().orElseThrow());
        }
        assertThat(leased).extracting(ChildUids.ChildUid::host).containsExactly(70000, 70001, 70002);
        assertThat(leased).extracting(ChildUids.ChildUid::inTemplate).containsExactly(1, 2, 3);
        assertThat(uids.lease()).isEmpty();
        uids.release(leased.get(1));
        assertThat(uids.lease()).contains(new ChildUids.ChildUid(70001, 2));
    }

    @Test
    void theNextChildIsNotGivenTheUidJustReleased() {
        ChildUids uids = ChildUids.block(70000, 1, 64, () -> { });
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 64; i++) {
            ChildUids.ChildUid uid = uids.lease().orElseThrow();
            assertThat(seen.add(uid.host())).as("child %d got uid %d again", i, uid.host()).isTrue();
            uids.release(uid);
        }
    }

    @Test
    void theBlockGoesBackOnlyOnceTheTemplateIsGoneAndTheLastChildReleasedItsUid() {
        AtomicInteger returned = new AtomicInteger();
        ChildUids uids = ChildUids.block(70000, 1, 4, returned::incrementAndGet);
        ChildUids.ChildUid a = uids.lease().orElseThrow();
        ChildUids.ChildUid b = uids.lease().orElseThrow();
        uids.release(a);
        assertThat(returned).hasValue(0);
        uids.close();
        assertThat(uids.lease()).as("a gone template forks nothing").isEmpty();
        assertThat(returned).hasValue(0);
        uids.release(b);
        assertThat(returned).hasValue(1);
        uids.close();
        assertThat(returned).hasValue(1);
    }

    @Test
    void withoutABlockEveryChildIsTheTemplatesUid() {
        ChildUids uids = ChildUids.sharedWithTemplate(1000, 65534);
        assertThat(uids.lease()).contains(new ChildUids.ChildUid(1000, 65534));
        assertThat(uids.lease()).contains(new ChildUids.ChildUid(1000, 65534));
    }
}
