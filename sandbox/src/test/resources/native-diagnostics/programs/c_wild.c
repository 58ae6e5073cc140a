#include <stdint.h>

int main(void) {
    volatile int *p = (int *) (uintptr_t) 0x10;
    return *p;
}
