import { describeUsersFlow } from './users-flow.behaviour';

describeUsersFlow('memory', () => ({ env: {} }));
