#include <cassert>
#include <vector>

int main() {
    std::vector<int> v{1, 2};
    assert(v.size() > 2);
    return 0;
}
