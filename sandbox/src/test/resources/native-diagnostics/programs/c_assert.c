#include <assert.h>
#include <stdio.h>

int main(void) {
    int n = 3;
    printf("before\n");
    assert(n > 5);
    return 0;
}
