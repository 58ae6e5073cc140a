#include <string>

int main() {
    std::string s = 5;
    undeclared(s);
    return 0;
}
