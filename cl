2026-11-26T14:33:29Z chronyd version 4.3 starting (+CMDMON +NTP +REFCLOCK +RTC +PRIVDROP +SCFILTER +SIGND +ASYNCDNS +NTS +SECHASH +IPV6 -DEBUG)
2026-11-26T14:33:29Z Wrong permissions on /tmp/rsst
2026-11-26T14:33:29Z Disabled command socket /tmp/rsst/c.sock
2026-11-26T14:33:29Z Disabled control of system clock
2026-11-26T14:33:29Z Running with root privileges
2026-11-26T14:43:35Z chronyd exiting
