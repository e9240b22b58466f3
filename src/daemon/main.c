/* tockd entry point (placeholder until the daemon shell lands). */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "tockd: not built yet\n");
    return 1;
}
