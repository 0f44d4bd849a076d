-- Reserved: filled in before this migration ships.
SELECT 1;
