"""Domain logic: what the operations mean (users, the order status machine, order intake and
its public view, order lines, daily reports). Reads and writes go through `dal`."""
