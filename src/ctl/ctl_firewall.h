/* tockctl firewall (local command: no daemon involved). */
#ifndef TOCK_CTL_CTL_FIREWALL_H
#define TOCK_CTL_CTL_FIREWALL_H

/* argv[0] is "firewall". Returns the exit status. */
int ctl_firewall_main(int argc, char **argv);

#endif
