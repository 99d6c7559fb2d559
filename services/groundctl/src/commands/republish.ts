// `groundctl republish [SATELLITE…]`: FleetService/RepublishSatelliteStates, e.g. after turning
// SATELLITE_STATE_IN_HARBOR on.
import type { Command, Family } from "../command.js";

const republishCommand: Command = {
  name: "republish",
  usage: "republish [SATELLITE…]",
  summary: "write the named satellites' states again (all satellites when none are named)",
  async run(ctx, args) {
    const { fleet } = await ctx.admin();
    const { queuedCount } = await fleet.republishSatelliteStates({ satellites: args });
    return {
      data: { queuedCount, satellites: args },
      table: () => `queued ${queuedCount} satellite-state publish${queuedCount === 1 ? "" : "es"}\n`,
    };
  },
};

export const republish: Family = {
  name: "republish",
  summary: republishCommand.summary,
  verbs: false,
  commands: [republishCommand],
};
