/* tockctl entry point (placeholder until the command protocol lands). */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "tockctl: not built yet\n");
    return 1;
}
