import { Controller, Get } from '@nestjs/common';
import { ShipmentsService, TrackedShipment } from './shipments.service';

@Controller('shipments')
export class ShipmentsController {
  constructor(private readonly shipments: ShipmentsService) {}

  /** Lists the shipments this instance's handlers processed, with the event id of each. */
  @Get()
  list(): readonly TrackedShipment[] {
    return this.shipments.list();
  }
}
